// Stacks and slices: putting images together, and reducing planes.
//
// place: every pixel (x, y, z) of src (nx, ny, nz) goes to dst (ox, oy, oz)
// at (x + x0, y + y0, z + z0), converted to dst's type; pixels that land
// outside dst are dropped.  Concatenating, combining side by side, pasting
// and copying a plane into a stack are one or two places each.  Build
// options: T_IN, T_OUT.
//
// stitch: two images side by side along axis (0: x, 1: y) of dst, the
// second starting at `start` (the first's width minus the overlap); in the
// overlap, position j (0 .. overlap - 1) blends them linearly:
//     (1 - w) first + w second,  w = (j + 1) / (overlap + 1).
// Build options: T_A, T_B (the images' element types); dst is float.
//
// half_median: each output pixel (x, y, z) is the median of the 2x2 block
// (2x .. 2x + 1, 2y .. 2y + 1) of plane z: the mean of its two middle
// values, as numpy.median.  Build option: T_IN; dst is float.
//
// Every kernel runs on a grid whose x is rounded up to whole work-groups of a
// row segment each; work-items past the width return.

#ifdef T_IN
#ifdef T_OUT

__kernel void place(__global const T_IN *src, __global T_OUT *dst,
                    const int nx, const int ny, const int ox, const int oy, const int oz,
                    const int x0, const int y0, const int z0)
{
    const int x = get_global_id(0), y = get_global_id(1), z = get_global_id(2);
    const int tx = x + x0, ty = y + y0, tz = z + z0;
    if (x >= nx || tx < 0 || tx >= ox || ty < 0 || ty >= oy || tz < 0 || tz >= oz)
        return;
    dst[((long)tz * oy + ty) * ox + tx] = (T_OUT)src[((long)z * ny + y) * nx + x];
}

#endif

__kernel void half_median(__global const T_IN *src, __global float *dst,
                          const int nx, const int ny, const int ox, const int oy)
{
    const int x = get_global_id(0), y = get_global_id(1), z = get_global_id(2);
    if (x >= ox)
        return;
    __global const T_IN *top = src + ((long)z * ny + 2 * y) * nx + 2 * x;
    float a = (float)top[0], b = (float)top[1], c = (float)top[nx], d = (float)top[nx + 1];
    // the two middle values of four add up to the larger of the pairs' minima plus the
    // smaller of their maxima (the four less the smallest and the largest value)
    const float low = max(min(a, b), min(c, d)), high = min(max(a, b), max(c, d));
    dst[((long)z * oy + y) * ox + x] = 0.5f * (low + high);
}

#endif

#ifdef T_A

__kernel void stitch(__global const T_A *first, __global const T_B *second,
                     __global float *dst, const int ox, const int oy,
                     const int axis, const int first_width, const int start)
{
    const int x = get_global_id(0), y = get_global_id(1), z = get_global_id(2);
    if (x >= ox)
        return;
    const int t = axis == 0 ? x : y;              // the position along the stitching axis
    const int fx = axis == 0 ? first_width : ox;  // the first image's grid (x, y)
    const int fy = axis == 0 ? oy : first_width;
    const int sx = axis == 0 ? ox - start : ox;   // the second image's
    const int sy = axis == 0 ? oy : oy - start;
    const int ax = x, ay = y;
    const int bx = axis == 0 ? x - start : x, by = axis == 0 ? y : y - start;
    float value;
    if (t < start) {
        value = (float)first[((long)z * fy + ay) * fx + ax];
    } else if (t >= first_width) {
        value = (float)second[((long)z * sy + by) * sx + bx];
    } else {
        const float w = (float)(t - start + 1) / (float)(first_width - start + 1);
        value = (1.0f - w) * (float)first[((long)z * fy + ay) * fx + ax]
                + w * (float)second[((long)z * sy + by) * sx + bx];
    }
    dst[((long)z * oy + y) * ox + x] = value;
}

#endif
