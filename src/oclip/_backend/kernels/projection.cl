// Projections of a (z, y, x) image along z.  Build options: T (element type).
// Each work-item walks one (y, x) column; neighbouring work-items read
// neighbouring x, so every step of the walk is one coalesced row read.

#define EXTREMUM_Z(NAME, PICK)                                                  \
__kernel void NAME(__global const T *src, __global T *dst,                      \
                   const int nx, const int ny, const int nz)                    \
{                                                                               \
    const int x = get_global_id(0), y = get_global_id(1);                       \
    const long plane = (long)nx * ny, here = (long)y * nx + x;                  \
    T best = src[here];                                                         \
    for (int z = 1; z < nz; ++z)                                                \
        best = PICK(best, src[here + z * plane]);                               \
    dst[here] = best;                                                           \
}

EXTREMUM_Z(maximum_z, max)
