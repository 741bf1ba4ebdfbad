// Windows given by a second image: correlation with a kernel image and
// normalised cross-correlation with a template.  Build options: T_IN (element
// type of the image).  Launched on the grid (nx, ny, nz) of the image; the
// window of size (kx, ky, kz) starts at (x - cx, y - cy, z - cz), coordinates
// clamped to the image (the edge replicated).

#define WINDOW_LOOP(BODY)                                                       \
    for (int dz = 0; dz < kz; ++dz) {                                           \
        const int zz = clamp(z + dz - cz, 0, nz - 1);                           \
        for (int dy = 0; dy < ky; ++dy) {                                       \
            const long row = ((long)zz * ny + clamp(y + dy - cy, 0, ny - 1)) * nx; \
            const int w0 = (dz * ky + dy) * kx;                                 \
            for (int dx = 0; dx < kx; ++dx) {                                   \
                const float v = (float)src[row + clamp(x + dx - cx, 0, nx - 1)]; \
                const float w = weights[w0 + dx];                               \
                BODY                                                            \
            }                                                                   \
        }                                                                       \
    }

#define WINDOW_PARAMETERS const int kx, const int ky, const int kz,             \
    const int cx, const int cy, const int cz, const int nx, const int ny, const int nz

// sum of w * v over the window; weights of 0 are skipped (as scipy.ndimage,
// whose footprint holds the non-zero weights), so that they take no NaN in.
__kernel void correlate(__global const T_IN *src, __global float *dst,
                        __global const float *weights, WINDOW_PARAMETERS)
{
    const int x = get_global_id(0), y = get_global_id(1), z = get_global_id(2);
    float sum = 0.0f;
    WINDOW_LOOP(if (w != 0.0f) sum += w * v;)
    dst[((long)z * ny + y) * nx + x] = sum;
}

// Normalised cross-correlation with the template whose deviations from its
// mean are `weights` (mean_w their float32 mean, ssd_w their sum of squares).
// The window's values are taken relative to its first value (shifted data:
// exact sums for constant windows, whose response is 0).
__kernel void match_template(__global const T_IN *src, __global float *dst,
                             __global const float *weights, const float mean_w,
                             const float ssd_w, WINDOW_PARAMETERS)
{
    const int x = get_global_id(0), y = get_global_id(1), z = get_global_id(2);
    const float first = (float)src[((long)clamp(z - cz, 0, nz - 1) * ny
                                    + clamp(y - cy, 0, ny - 1)) * nx + clamp(x - cx, 0, nx - 1)];
    float s = 0.0f, ss = 0.0f, sw = 0.0f;
    WINDOW_LOOP({ const float d = v - first; s += d; ss += d * d; sw += d * w; })
    const float n = (float)(kx * ky * kz);
    const float variance = ss - s * (s / n);
    const float numerator = sw - s * mean_w;
    dst[((long)z * ny + y) * nx + x] =
        variance > 0.0f && ssd_w > 0.0f ? numerator / (sqrt(variance) * sqrt(ssd_w)) : 0.0f;
}
