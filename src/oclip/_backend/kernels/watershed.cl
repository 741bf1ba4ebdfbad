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
//      (c = h at seeds), front by front, until nothing changes;
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

#define NEIGHBOURS(UPDATE)                                                      \
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
                if (order == 0 || (!BOX && order > 1))                          \
                    continue;                                                   \
                const long j = here + ((long)dz * ny + dy) * nx + dx;           \
                UPDATE;                                                         \
            }                                                                   \
        }                                                                       \
    }

#define DECODE(i)                                                               \
    const int x = (i) % nx, y = ((i) / nx) % ny, z = (i) / (nx * ny);           \
    const long here = (i);

// h: keys of the image; cost: h at the seeds, UINT_MAX elsewhere; the seeds
// form the first front.
__kernel void flood_init(__global const T_IN *image, __global const uint *seeds,
                         __global uint *h, __global uint *cost, __global int *front,
                         volatile __global int *front_size)
{
    const int i = get_global_id(0);
    const uint k = key_of(image[i]);
    h[i] = k;
    if (seeds[i]) {
        cost[i] = k;
        front[atomic_inc(front_size)] = i;
    } else {
        cost[i] = UINT_MAX;
    }
}

// Lower the cost of the front's neighbours; those lowered join the next front
// (once: `stamp` records the step that last added a pixel).
__kernel void flood_step(__global const uint *h, __global const uint *seeds,
                         volatile __global uint *cost, __global const int *front,
                         const int front_size, __global int *next,
                         volatile __global int *next_size, volatile __global int *stamp,
                         const int step, const int nx, const int ny, const int nz)
{
    if (get_global_id(0) >= (size_t)front_size)
        return;
    const int i = front[get_global_id(0)];
    DECODE(i)
    const uint c = cost[i];
    NEIGHBOURS({
        if (!seeds[j]) {
            const uint candidate = max(h[j], c);
            if (candidate < cost[j] && atomic_min(&cost[j], candidate) > candidate
                && atomic_xchg(&stamp[j], step) != step)
                next[atomic_inc(next_size)] = (int)j;
        }
    })
}

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

// One round of pointer jumping; `changed` is set while some pointer moves.
__kernel void jump(__global int *pointer, __global int *changed)
{
    const int i = get_global_id(0);
    const int p = pointer[i];
    if (p < 0)
        return;
    const int q = pointer[p];
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
