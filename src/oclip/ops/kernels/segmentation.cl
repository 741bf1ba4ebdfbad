// Pixel-parallel kernels of segmentation and label processing: local extrema,
// edges, seeded growth within a mask, label erosion.  Images are (z, y, x),
// x fastest; a 2D image has nz = 1.
// Build options: T_IN (element type of the input), and for the sphere kernels
// what neighbourhood.clh needs.

#include "neighbourhood.clh"

// out = (a == b): with b the maximum (minimum) filter of a, the local maxima (minima).
__kernel void equal_images(__global const T_IN *a, __global const T_IN *b,
                           __global uchar *out)
{
    const size_t i = get_global_id(0);
    out[i] = a[i] == b[i];
}

// Visit the neighbours of (x, y, z) inside the image: the 6 (4 in 2D) face
// neighbours, or with `box` all 26 (8).  `j` is the neighbour's index.
#define NEIGHBOURS(BOX, UPDATE)                                                 \
    for (int dz = -1; dz <= 1; ++dz) {                                          \
        if (z + dz < 0 || z + dz >= nz)                                         \
            continue;                                                           \
        for (int dy = -1; dy <= 1; ++dy) {                                      \
            if (y + dy < 0 || y + dy >= ny)                                     \
                continue;                                                       \
            for (int dx = -1; dx <= 1; ++dx) {                                  \
                if (x + dx < 0 || x + dx >= nx)                                 \
                    continue;                                                   \
                const int order = abs(dx) + abs(dy) + abs(dz);                  \
                if (order == 0 || (!(BOX) && order > 1))                        \
                    continue;                                                   \
                const long j = here + ((long)dz * ny + dy) * nx + dx;           \
                UPDATE;                                                         \
            }                                                                   \
        }                                                                       \
    }

// Visit the face neighbours of (x, y, z) inside the image, without loops.
#define FACES(UPDATE)                                                           \
    {                                                                           \
        long j;                                                                 \
        if (x > 0) { j = here - 1; UPDATE; }                                    \
        if (x + 1 < nx) { j = here + 1; UPDATE; }                               \
        if (y > 0) { j = here - nx; UPDATE; }                                   \
        if (y + 1 < ny) { j = here + nx; UPDATE; }                              \
        if (z > 0) { j = here - (long)nx * ny; UPDATE; }                        \
        if (z + 1 < nz) { j = here + (long)nx * ny; UPDATE; }                   \
    }

// Seeded growth within a mask, front by front.  A step visits the pixels
// labelled in the step before (and, for a "box" step, in the one before that:
// their corner neighbours were out of reach of the face step between); each
// claims its unlabelled mask neighbours with atomic_min on `claim` (UINT_MAX
// where unclaimed), so a pixel reached by several labels gets the smallest.
// The first claimant appends the pixel to the next front.

// The labelled pixels (inside the mask) form the first front.
__kernel void front_seeds(__global const uint *labels, __global int *front,
                          volatile __global int *count)
{
    const int i = get_global_id(0);
    if (labels[i])
        front[atomic_inc(count)] = i;
}

__kernel void front_step(__global const uint *labels, __global const uchar *mask,
                         volatile __global uint *claim, __global const int *front,
                         const int front_size, __global int *next,
                         volatile __global int *next_size, const int box,
                         const int nx, const int ny, const int nz)
{
    if (get_global_id(0) >= (size_t)front_size)
        return;
    const int i = front[get_global_id(0)];
    const int x = i % nx, y = (i / nx) % ny, z = i / (nx * ny);
    const long here = i;
    const uint label = labels[i];
#define CLAIM                                                                   \
    if (labels[j] == 0 && mask[j] && claim[j] > label) {                        \
        if (atomic_min(&claim[j], label) == UINT_MAX)                           \
            next[atomic_inc(next_size)] = (int)j;                               \
    }
    if (box) {
        NEIGHBOURS(1, CLAIM)
    } else {
        FACES(CLAIM)
    }
#undef CLAIM
}

// The claimed pixels take their labels.
__kernel void front_settle(__global uint *labels, __global const uint *claim,
                           __global const int *front, const int front_size)
{
    if (get_global_id(0) >= (size_t)front_size)
        return;
    const int i = front[get_global_id(0)];
    labels[i] = claim[i];
}

// Pixels of value v (non-zero) with a neighbour of another value: label edges
// (BINARY 0: any other value; BINARY 1: zero against non-zero).  Neighbours
// outside the image do not count (the border replicates the edge pixel).
#if BINARY
#define DIFFERENT(a, b) (((a) != 0) != ((b) != 0))
#else
#define DIFFERENT(a, b) ((a) != (b))
#endif
__kernel void inner_edges(__global const T_IN *src, __global T_IN *dst, const int box,
                          const int nx, const int ny, const int nz)
{
    PIXEL_SETUP
    const T_IN v = src[here];
    int edge = 0;
    if (v != 0) {
        if (!box) {  // the face neighbours, without loops
            const long plane = (long)nx * ny;
            edge = (x > 0 && DIFFERENT(v, src[here - 1]))
                   | (x + 1 < nx && DIFFERENT(v, src[here + 1]))
                   | (y > 0 && DIFFERENT(v, src[here - nx]))
                   | (y + 1 < ny && DIFFERENT(v, src[here + nx]))
                   | (z > 0 && DIFFERENT(v, src[here - plane]))
                   | (z + 1 < nz && DIFFERENT(v, src[here + plane]));
        } else {
            NEIGHBOURS(1, edge |= DIFFERENT(v, src[j]))
        }
    }
#if BINARY
    dst[here] = (T_IN)(edge != 0);
#else
    dst[here] = edge ? v : (T_IN)0;
#endif
}

// Keep a label pixel only if every pixel of the ellipsoid around it carries
// the same label (borders replicate the edge pixel).
__kernel void erode_labels_sphere(__global const uint *src, __global uint *dst,
                                  SPHERE_PARAMETERS)
{
    PIXEL_SETUP
    const uint v = src[here];
    uint keep = v != 0;
    if (keep) {
        ELLIPSOID_LOOP(keep &= src[j] == v)
    }
    dst[here] = keep ? v : 0u;
}

// out = a where mask is non-zero, else 0.
__kernel void mask_labels(__global const uint *a, __global const uchar *mask,
                          __global uint *out)
{
    const size_t i = get_global_id(0);
    out[i] = mask[i] ? a[i] : 0u;
}

// --- holes in labels -------------------------------------------------------------
// `holes`: the connected components (faces) of the background.  Per hole:
// border[k] = 1 if it touches the image border (with `volume`, 3D images,
// also the first and last plane); low[k] / high[k] = the
// smallest and largest label among its pixels' face neighbours.
__kernel void hole_neighbours(__global const uint *labels, __global const uint *holes,
                              __global uint *border, volatile __global uint *low,
                              volatile __global uint *high, const int volume,
                              const int nx, const int ny, const int nz)
{
    PIXEL_SETUP
    const uint k = holes[here];
    if (k == 0)
        return;
    if (x == 0 || x == nx - 1 || y == 0 || y == ny - 1 || (volume && (z == 0 || z == nz - 1)))
        border[k] = 1u;
    uint a = UINT_MAX, b = 0;
    FACES({
        const uint l = labels[j];
        if (l) {
            a = min(a, l);
            b = max(b, l);
        }
    })
    if (a < low[k])
        atomic_min(low + k, a);
    if (b > high[k])
        atomic_max(high + k, b);
}

// A hole enclosed by one label (not on the border, a single neighbouring
// label) takes that label.
__kernel void fill_holes(__global const uint *labels, __global const uint *holes,
                         __global const uint *border, __global const uint *low,
                         __global const uint *high, __global uint *out)
{
    const size_t i = get_global_id(0);
    const uint k = holes[i];
    uint l = labels[i];
    if (k != 0 && !border[k] && low[k] == high[k])
        l = low[k];
    out[i] = l;
}

// labels2 drawn over labels1 (labels2 shifted by `offset`).
__kernel void draw_over(__global const uint *labels1, __global const uint *labels2,
                        __global uint *out, const uint offset)
{
    const size_t i = get_global_id(0);
    const uint b = labels2[i];
    out[i] = b ? b + offset : labels1[i];
}

// labels1 without the pixels labelled in labels2.
__kernel void subtract_labels(__global const uint *labels1, __global const uint *labels2,
                              __global uint *out)
{
    const size_t i = get_global_id(0);
    out[i] = labels2[i] ? 0u : labels1[i];
}
