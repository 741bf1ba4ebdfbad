// Exact Euclidean feature transform: for every pixel the linear index of its
// nearest site pixel (-1 where the image has none), by separable passes along
// x, then y, then z (C. R. Maurer, R. Qi and V. Raghavan, IEEE PAMI 25 (2003)
// 265-270).  Each work-item handles one line; the pass along y or z keeps the
// candidate sites of its line in a stack stored in `stack` (one column per
// line, so that neighbouring work-items touch neighbouring addresses).
//
// Ties: among equally near sites, every pass keeps the one with the smaller
// coordinate along its axis, so the result is the nearest site that comes
// first in raster order.  All arithmetic is on integers: exact.
//
// Build options: T_KEY (element type of the image), SITE_ZERO (1: sites are
// the zero pixels; 0: the non-zero pixels), STACK_CONTIGUOUS (1: each line's
// stack in one stretch of memory, for CPUs, whose work-items run their loops
// one after the other; 0: interleaved, for GPUs, whose neighbouring
// work-items then touch neighbouring addresses).

#if STACK_CONTIGUOUS
#define AT(k) (line * length + (k))
#else
#define AT(k) ((k) * lines + line)
#endif

#if SITE_ZERO
#define IS_SITE(v) ((v) == 0)
#else
#define IS_SITE(v) ((v) != 0)
#endif

// Pass along x: the nearest site within the row, the left one on ties.
__kernel void feature_x(__global const T_KEY *image, __global int *feature, const int nx)
{
    const long base = (long)get_global_id(0) * nx;
    int last = -1;
    for (int x = 0; x < nx; ++x) {
        if (IS_SITE(image[base + x]))
            last = x;
        feature[base + x] = last;
    }
    int next = -1;
    for (int x = nx - 1; x >= 0; --x) {
        if (IS_SITE(image[base + x]))
            next = x;
        const int left = feature[base + x];
        int chosen;
        if (left < 0)
            chosen = next;
        else if (next < 0)
            chosen = left;
        else
            chosen = (x - left <= next - x) ? left : next;
        feature[base + x] = chosen < 0 ? -1 : (int)(base + chosen);
    }
}

// Pass along y (SKIP 1) or z (SKIP 2), in place: `feature` holds the result
// of the passes before, so a site's feature shares the site's coordinate
// along the pass axis.  Line `line` has `length` pixels `stride` apart; the
// stack keeps for each candidate site its feature, its squared distance to
// the line (g) and its position along the line (p).
#define FEATURE_PASS(NAME, SKIP)                                                \
__kernel void NAME(__global int *feature, __global int *stack_f,                \
                   __global long *stack_g, __global int *stack_p,               \
                   const int nx, const int ny, const int nz)                    \
{                                                                               \
    const int line = get_global_id(0);                                          \
    const int lines = get_global_size(0);                                       \
    (void)lines;                                                                \
    const int x = line % nx;                                                    \
    int y, z, length;                                                           \
    long first, stride;                                                         \
    if (SKIP == 1) {                                                            \
        z = line / nx; y = 0;                                                   \
        first = (long)z * nx * ny + x; stride = nx; length = ny;                \
    } else {                                                                    \
        y = line / nx; z = 0;                                                   \
        first = (long)y * nx + x; stride = (long)nx * ny; length = nz;          \
    }                                                                           \
    int top = -1;                                                               \
    for (int k = 0; k < length; ++k) {                                          \
        const int f = feature[first + k * stride];                              \
        if (f < 0)                                                              \
            continue;                                                           \
        long g;                                                                 \
        if (SKIP == 1) {                                                        \
            const long dx = f - ((long)z * ny + k) * nx - x;                    \
            g = dx * dx;                                                        \
        } else {                                                                \
            const int rest = f - k * nx * ny;                                   \
            const int fy = rest / nx;                                           \
            const long dx = rest - fy * nx - x, dy = fy - y;                    \
            g = dx * dx + dy * dy;                                              \
        }                                                                       \
        while (top >= 1) {                                                      \
            const long g_v = stack_g[AT(top)];                       \
            const long g_u = stack_g[AT(top - 1)];                 \
            const int p_v = stack_p[AT(top)];                        \
            const int p_u = stack_p[AT(top - 1)];                  \
            const long a = p_v - p_u, b = k - p_v, c = a + b;                   \
            if (c * g_v - b * g_u - a * g - a * b * c <= 0)                     \
                break;                                                          \
            --top;                                                              \
        }                                                                       \
        ++top;                                                                  \
        stack_f[AT(top)] = f;                                        \
        stack_g[AT(top)] = g;                                        \
        stack_p[AT(top)] = k;                                        \
    }                                                                           \
    if (top < 0)                                                                \
        return;                                                                 \
    int l = 0;                                                                  \
    long g_l = stack_g[AT(0)], g_n = 0;                                          \
    int p_l = stack_p[AT(0)], p_n = 0;                                           \
    if (top >= 1) {                                                             \
        g_n = stack_g[AT(1)];                                            \
        p_n = stack_p[AT(1)];                                            \
    }                                                                           \
    for (int k = 0; k < length; ++k) {                                          \
        while (l < top && g_l + (long)(k - p_l) * (k - p_l) >                   \
                          g_n + (long)(k - p_n) * (k - p_n)) {                  \
            ++l;                                                                \
            g_l = g_n; p_l = p_n;                                               \
            if (l < top) {                                                      \
                g_n = stack_g[AT(l + 1)];                          \
                p_n = stack_p[AT(l + 1)];                          \
            }                                                                   \
        }                                                                       \
        feature[first + k * stride] = stack_f[AT(l)];                \
    }                                                                           \
}

FEATURE_PASS(feature_y, 1)
FEATURE_PASS(feature_z, 2)

inline long squared_distance(const int i, const int f, const int nx, const int ny)
{
    const long dx = i % nx - f % nx, dy = (i / nx) % ny - (f / nx) % ny,
               dz = i / (nx * ny) - f / (nx * ny);
    return dx * dx + dy * dy + dz * dz;
}

// Every pixel takes the label of its nearest labelled pixel if that is at a
// squared distance of at most `limit` (limit < 0: no limit).
__kernel void nearest_label(__global const uint *labels, __global const int *feature,
                            __global uint *out, const long limit, const int nx, const int ny)
{
    const int i = get_global_id(0);
    const int f = feature[i];
    uint label = 0;
    if (f >= 0 && (limit < 0 || squared_distance(i, f, nx, ny) <= limit))
        label = labels[f];
    out[i] = label;
}

// Keep the pixels whose nearest site lies farther than sqrt(limit).
__kernel void farther_than(__global const int *feature, __global uchar *out, const long limit,
                           const int nx, const int ny)
{
    const int i = get_global_id(0);
    const int f = feature[i];
    out[i] = f < 0 || squared_distance(i, f, nx, ny) > limit;
}
