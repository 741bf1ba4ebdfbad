// Neighbourhood filters on (z, y, x) images stored x-fastest; a 2D image is one
// plane (nz = 1).  Separable passes work along one axis at a time; borders
// replicate the edge pixel (scipy.ndimage mode="nearest").
// Build options: T_IN, T_OUT (element types).

// This work-item's position along `axis` (0 = x, 1 = y, 2 = z), the length of
// that axis, the distance between neighbours along it, and where the line starts.
#define ALONG_AXIS                                                              \
    const int x = get_global_id(0), y = get_global_id(1), z = get_global_id(2); \
    const long here = ((long)z * ny + y) * nx + x;                              \
    int pos, len;                                                               \
    long stride;                                                                \
    if (axis == 0)      { pos = x; len = nx; stride = 1; }                      \
    else if (axis == 1) { pos = y; len = ny; stride = nx; }                     \
    else                { pos = z; len = nz; stride = (long)nx * ny; }          \
    const long start = here - pos * stride;

// Correlation with 2 * radius + 1 weights (a Gaussian, a box of 1 / width...).
__kernel void convolve_axis(__global const T_IN *src, __global T_OUT *dst,
                            __constant float *weights, const int radius, const int axis,
                            const int nx, const int ny, const int nz)
{
    ALONG_AXIS
    float sum = 0.0f;
    for (int k = -radius; k <= radius; ++k)
        sum += weights[k + radius] * (float)src[start + clamp(pos + k, 0, len - 1) * stride];
    dst[here] = (T_OUT)sum;
}

// Minimum / maximum over a window of 2 * radius + 1.  With replicated borders
// the window may simply be cut at the edges: the edge pixel is inside it anyway.
#define EXTREMUM_AXIS(NAME, PICK)                                               \
__kernel void NAME(__global const T_IN *src, __global T_OUT *dst,               \
                   const int radius, const int axis,                            \
                   const int nx, const int ny, const int nz)                    \
{                                                                               \
    ALONG_AXIS                                                                  \
    const int first = max(pos - radius, 0), last = min(pos + radius, len - 1);  \
    T_IN best = src[start + first * stride];                                    \
    for (int p = first + 1; p <= last; ++p)                                     \
        best = PICK(best, src[start + p * stride]);                             \
    dst[here] = (T_OUT)best;                                                    \
}

EXTREMUM_AXIS(minimum_axis, min)
EXTREMUM_AXIS(maximum_axis, max)
