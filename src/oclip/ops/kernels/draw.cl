// Generators and drawing: coordinate ramps and shapes drawn into a copy of an
// image.  Build options: T (element type of the image).  Launched on the grid
// (nx, ny, nz) of the image (a 2D image is one plane, nz = 1).

// The coordinate along `axis` (0 = x, 1 = y, 2 = z) of each pixel.
__kernel void ramp(__global float *dst, const int axis,
                   const int nx, const int ny, const int nz)
{
    const int x = get_global_id(0), y = get_global_id(1), z = get_global_id(2);
    const long i = ((long)z * ny + y) * nx + x;
    dst[i] = (float)(axis == 0 ? x : axis == 1 ? y : z);
}

#ifdef T
// `value` where tx[x] + ty[y] + tz[z] <= 1, the image elsewhere: the per-axis
// tables (computed on the host) describe a box (0 inside its range, 2 outside)
// or an ellipsoid ((d / r)^2 of the offset d from its centre) or a border
// (2 within `width` of an end, 0 elsewhere, so that any axis alone decides:
// the condition is then reversed by `outside`).
__kernel void draw_separable(__global const T *src, __global T *dst,
                             __global const float *tx, __global const float *ty,
                             __global const float *tz, const T value, const int outside,
                             const int nx, const int ny, const int nz)
{
    const int x = get_global_id(0), y = get_global_id(1), z = get_global_id(2);
    const long i = ((long)z * ny + y) * nx + x;
    const int inside = tx[x] + ty[y] + tz[z] <= 1.0f;
    dst[i] = inside != outside ? value : src[i];
}

// `value` at the pixels whose centre lies within `reach` of the segment from a
// to b (coordinates x, y, z), the image elsewhere.
__kernel void draw_line(__global const T *src, __global T *dst,
                        const float ax, const float ay, const float az,
                        const float bx, const float by, const float bz,
                        const float reach, const T value,
                        const int nx, const int ny, const int nz)
{
    const int x = get_global_id(0), y = get_global_id(1), z = get_global_id(2);
    const long i = ((long)z * ny + y) * nx + x;
    const float4 p = (float4)((float)x, (float)y, (float)z, 0.0f);
    const float4 a = (float4)(ax, ay, az, 0.0f), b = (float4)(bx, by, bz, 0.0f);
    const float4 ab = b - a, ap = p - a;
    const float length2 = dot(ab, ab);
    const float t = length2 > 0.0f ? clamp(dot(ap, ab) / length2, 0.0f, 1.0f) : 0.0f;
    const float4 off = ap - t * ab;
    dst[i] = dot(off, off) <= reach * reach ? value : src[i];
}
#endif
