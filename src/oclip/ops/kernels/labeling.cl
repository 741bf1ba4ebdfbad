// Seeded watershed by flooding, computed without a priority queue.
//
// Flooding from the seeds (skimage.segmentation.watershed) reaches a pixel p
// at the level c(p): the lowest, over all paths from a seed to p, of the
// highest pixel on the path (minimax or "bottleneck" cost), and p takes the
// label of its neighbour flooded first.  When all pixel values differ, the
// pixels of equal cost that touch form one "class" flooded from a single
// entry, and the whole class takes the label of that entry: of a seed of the
// class' level, or of the lowest-cost neighbour of its lowest pixel.  So:
//
//   1. c: relax c(p) = max(h(p), min over neighbours c(q)) from the seeds
//      (c = h at seeds) by sweeps, until nothing changes;
//   2. classes: connected components of equal c among non-seed pixels;
//   3. each pixel points to the pixel it takes its label from: a class' entry
//      pixels (those with a neighbour outside the class of no higher cost)
//      to that neighbour (lowest cost, then smallest index); the other
//      pixels of the class, breadth first from the entry pixels, to a
//      neighbour one step closer (the smallest index);
//   4. follow the pointers down to the seeds (pointer jumping).
//
// With all values different a class has one entry, and the result is the
// flooding's.  With ties (plateaus) flooding spreads over a plateau breadth
// first from where it enters, in arrival order; here all entry pixels start
// together and ties go to the smallest index.
//
// Build options: T_IN (element type of the image), BOX (1: all neighbours;
// 0: faces only), IS_FLOAT, IS_SIGNED, SMALL (8/16-bit) and TYPE_MIN.

#include "neighbourhood.clh"
#include "neighbours.clh"

// Order-preserving map of values to uint keys >= 1.
inline uint key_of(const T_IN v)
{
#if IS_FLOAT
    const uint u = as_uint((float)v);
    const uint k = (u & 0x80000000u) ? ~u : (u | 0x80000000u);
    return max(k, 1u);
#elif SMALL
    return (uint)((int)v - (TYPE_MIN)) + 1u;
#elif IS_SIGNED
    return max((uint)((int)v) ^ 0x80000000u, 1u);
#else
    return max((uint)v, 1u);
#endif
}

// The neighbours of a pixel: all of them with BOX, the faces only without.
#if BOX
#define NEIGHBOURS(UPDATE) ALL_NEIGHBOURS(UPDATE)
#else
#define NEIGHBOURS(UPDATE) FACES(UPDATE)
#endif

#define DECODE(i)                                                               \
    const int x = (i) % nx, y = ((i) / nx) % ny, z = (i) / (nx * ny);           \
    const long here = (i);

// h: keys of the image; cost: h at the seeds, UINT_MAX elsewhere.
__kernel void flood_init(__global const T_IN *image, __global const uint *seeds,
                         __global uint *h, __global uint *cost)
{
    const int i = get_global_id(0);
    const uint k = key_of(image[i]);
    h[i] = k;
    cost[i] = seeds[i] ? k : UINT_MAX;
}

// The cost by sweeps (grey reconstruction by erosion,
// L. Vincent 1993, with line-parallel sweeps): `relax_all` lowers each pixel
// to max(h, lowest neighbour cost) over its whole neighbourhood; a sweep
// along one axis (one work-item per line, forward then backward) carries
// costs along the line at once.  Values only decrease and each is the cost
// of an actual path, so repeating until nothing changes gives the minimax
// cost whatever the order of the updates.

__kernel void relax_all(__global const uint *h, __global const uint *seeds,
                        volatile __global uint *cost, __global int *changed,
                        const int nx, const int ny, const int nz)
{
    PIXEL_SETUP
    if (seeds[here])
        return;
    uint best = cost[here];
    const uint own = h[here];
    if (best == own)
        return;  // cannot go lower
    NEIGHBOURS(best = min(best, max(own, cost[j])))
    if (best < cost[here]) {
        cost[here] = best;
        *changed = 1;
    }
}

// Sweep lines of `length` pixels `stride` apart; `lines` lines, the line
// `line` starting at first(line).
#define SWEEP(NAME, FIRST, STRIDE, LENGTH)                                      \
__kernel void NAME(__global const uint *h, __global const uint *seeds,          \
                   volatile __global uint *cost, __global int *changed,         \
                   const int nx, const int ny, const int nz)                    \
{                                                                               \
    const int line = get_global_id(0);                                          \
    const long first = FIRST;                                                   \
    const long stride = STRIDE;                                                 \
    const int length = LENGTH;                                                  \
    int moved = 0;                                                              \
    uint carried = cost[first];                                                 \
    for (int k = 1; k < length; ++k) {                                          \
        const long i = first + k * stride;                                      \
        uint c = cost[i];                                                       \
        if (!seeds[i]) {                                                        \
            const uint candidate = max(h[i], carried);                          \
            if (candidate < c) {                                                \
                c = candidate;                                                  \
                cost[i] = c;                                                    \
                moved = 1;                                                      \
            }                                                                   \
        }                                                                       \
        carried = c;                                                            \
    }                                                                           \
    for (int k = length - 2; k >= 0; --k) {                                     \
        const long i = first + k * stride;                                      \
        uint c = cost[i];                                                       \
        if (!seeds[i]) {                                                        \
            const uint candidate = max(h[i], carried);                          \
            if (candidate < c) {                                                \
                c = candidate;                                                  \
                cost[i] = c;                                                    \
                moved = 1;                                                      \
            }                                                                   \
        }                                                                       \
        carried = c;                                                            \
    }                                                                           \
    if (moved)                                                                  \
        *changed = 1;                                                           \
}

SWEEP(sweep_x, (long)line * nx, 1, nx)
// Along y and z a work-item takes a slice (a plane for y; the rows of one y
// for z), or a band of BAND columns of it, and moves through it row by row:
// the inner loop runs along x, through contiguous memory.
#define SWEEP_ROWS(NAME, FIRST, STRIDE, LENGTH)                                 \
__kernel void NAME(__global const uint *h, __global const uint *seeds,          \
                   volatile __global uint *cost, __global int *changed,         \
                   const int nx, const int ny, const int nz)                    \
{                                                                               \
    const int bands = (nx + BAND - 1) / BAND;                                   \
    const int slice = get_global_id(0) / bands;                                 \
    const int x0 = (get_global_id(0) % bands) * BAND, x1 = min(x0 + BAND, nx);  \
    const long first = FIRST;                                                   \
    const long stride = STRIDE;                                                 \
    const int length = LENGTH;                                                  \
    int moved = 0;                                                              \
    for (int k = 1; k < length; ++k) {                                          \
        const long row = first + k * stride, before = row - stride;             \
        for (int x = x0; x < x1; ++x) {                                         \
            const uint candidate = max(h[row + x], cost[before + x]);           \
            if (candidate < cost[row + x] && !seeds[row + x]) {                 \
                cost[row + x] = candidate;                                      \
                moved = 1;                                                      \
            }                                                                   \
        }                                                                       \
    }                                                                           \
    for (int k = length - 2; k >= 0; --k) {                                     \
        const long row = first + k * stride, after = row + stride;              \
        for (int x = x0; x < x1; ++x) {                                         \
            const uint candidate = max(h[row + x], cost[after + x]);            \
            if (candidate < cost[row + x] && !seeds[row + x]) {                 \
                cost[row + x] = candidate;                                      \
                moved = 1;                                                      \
            }                                                                   \
        }                                                                       \
    }                                                                           \
    if (moved)                                                                  \
        *changed = 1;                                                           \
}

#define BAND 64

SWEEP_ROWS(sweep_y, (long)slice * nx * ny, nx, ny)
SWEEP_ROWS(sweep_z, (long)slice * nx, (long)nx * ny, nz)

// The class image: cost at non-seed pixels, 0 at the seeds.
__kernel void class_keys(__global const uint *cost, __global const uint *seeds,
                         __global uint *keys)
{
    const int i = get_global_id(0);
    keys[i] = seeds[i] ? 0u : cost[i];
}

// Every pixel points to the pixel it takes its label from: a seed to itself;
// an entry pixel of a class (one with a neighbour outside the class of no
// higher cost) to that neighbour, the lowest cost first, then the smallest
// index; other pixels are left at -1 for the growth within the class.
__kernel void entry_pointer(__global const uint *cost, __global const uint *classes,
                            __global int *pointer, const int nx, const int ny, const int nz)
{
    PIXEL_SETUP
    const uint k = classes[here];
    if (k == 0) {
        pointer[here] = (int)here;  // a seed
        return;
    }
    const uint own = cost[here];
    uint best = UINT_MAX;
    int from = -1;
    NEIGHBOURS({
        const uint c = cost[j];
        if (classes[j] != k && c <= own && c < best) {
            best = c;
            from = (int)j;
        }
    })
    pointer[here] = from;
}

// The entry pixels (non-seeds with a pointer) form the first front.
__kernel void entry_front(__global const uint *classes, __global const int *pointer,
                          __global int *front, volatile __global int *front_size)
{
    const int i = get_global_id(0);
    if (classes[i] != 0 && pointer[i] >= 0)
        front[atomic_inc(front_size)] = i;
}

// Breadth-first growth within each class from its entry pixels: a pixel
// without pointer next to the front points to the front pixel of smallest
// index (claimed with atomic_min), and joins the next front.
__kernel void class_step(__global const uint *classes, __global const int *pointer,
                         volatile __global int *claim, __global const int *front,
                         const int front_size, __global int *next,
                         volatile __global int *next_size,
                         const int nx, const int ny, const int nz)
{
    if (get_global_id(0) >= (size_t)front_size)
        return;
    const int i = front[get_global_id(0)];
    DECODE(i)
    const uint k = classes[i];
    NEIGHBOURS({
        if (classes[j] == k && pointer[j] < 0 && claim[j] > i
            && atomic_min(&claim[j], i) == INT_MAX)
            next[atomic_inc(next_size)] = (int)j;
    })
}

__kernel void class_settle(__global int *pointer, __global const int *claim,
                           __global const int *front, const int front_size)
{
    if (get_global_id(0) >= (size_t)front_size)
        return;
    const int i = front[get_global_id(0)];
    pointer[i] = claim[i];
}

// One round of pointer jumping: each pointer moves up to 16 steps along its
// chain (chains shrink while others move too); `changed` is set while some
// pointer moves.
__kernel void jump(__global int *pointer, __global int *changed)
{
    const int i = get_global_id(0);
    const int p = pointer[i];
    if (p < 0)
        return;
    int q = p;
    for (int step = 0; step < 16; ++step) {
        const int next = pointer[q];
        if (next == q)
            break;
        q = next;
    }
    if (q != p) {
        pointer[i] = q;
        *changed = 1;
    }
}

__kernel void flood_labels(__global const uint *seeds, __global const int *pointer,
                           __global uint *out)
{
    const int i = get_global_id(0);
    const int p = pointer[i];
    out[i] = p < 0 ? 0u : seeds[p];
}
