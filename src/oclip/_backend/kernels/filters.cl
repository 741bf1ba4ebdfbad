// Neighbourhood filters: separable passes along one axis (box windows) and
// windows given by a table of row widths (ellipsoids, "sphere", and boxes for
// filters that cannot be separated), with the machinery of neighbourhood.clh.
// Build options: T_IN, T_OUT (element types); the families below name theirs.

#include "neighbourhood.clh"

#define PASS_PARAMETERS const int radius, const int nx, const int ny, const int nz

// --- linear filters ------------------------------------------------------------

// Correlation with 2 * radius + 1 weights (a Gaussian, a box of 1 / width...).
#define CONVOLVE(AXIS)                                                          \
__kernel void convolve_##AXIS(__global const T_IN *src, __global T_OUT *dst,    \
                              __constant float *weights, PASS_PARAMETERS)       \
{                                                                               \
    AXIS_SETUP(AXIS)                                                            \
    float sum = 0.0f;                                                           \
    WINDOW_LOOP(float, sum += weights[k + radius] * v)                          \
    dst[here] = (T_OUT)sum;                                                     \
}

CONVOLVE(x)
CONVOLVE(y)
CONVOLVE(z)

// The last pass of a correlation, combined with another image `other` (of
// type T_OTHER) into a float result: FINISH_SUBTRACT gives other - sum,
// FINISH_DIVIDE other / sum (0 where sum is 0), FINISH_CENTRE_MINUS_SUM
// CENTRE * other - sum (a box Laplacian from a box sum).
#if defined(FINISH_SUBTRACT)
#define FINISH(a, s) ((float)(a) - (s))
#elif defined(FINISH_DIVIDE)
#define FINISH(a, s) ((s) != 0.0f ? (float)(a) / (s) : 0.0f)
#elif defined(FINISH_CENTRE_MINUS_SUM)
#define FINISH(a, s) (CENTRE * (float)(a) - (s))
#endif

#ifdef FINISH
#define CONVOLVE_FINISH(AXIS)                                                   \
__kernel void convolve_finish_##AXIS(__global const T_IN *src, __global float *dst, \
                                     __constant float *weights,                 \
                                     __global const T_OTHER *other, PASS_PARAMETERS) \
{                                                                               \
    AXIS_SETUP(AXIS)                                                            \
    float sum = 0.0f;                                                           \
    WINDOW_LOOP(float, sum += weights[k + radius] * v)                          \
    dst[here] = FINISH(other[here], sum);                                       \
}

CONVOLVE_FINISH(x)
CONVOLVE_FINISH(y)
CONVOLVE_FINISH(z)
#endif

// --- minimum and maximum (grey and binary erosion and dilation) ----------------
// With BINARY_INPUT defined every non-zero value counts as 1 (binary images).

#ifdef BINARY_INPUT
#define VALUE(v) ((T_IN)((v) != 0))
#else
#define VALUE(v) (v)
#endif

// Minimum or maximum over a box, one axis at a time (PICK is min or max).
#define EXTREMUM(NAME, PICK, AXIS)                                              \
__kernel void NAME##_##AXIS(__global const T_IN *src, __global T_OUT *dst,     \
                            PASS_PARAMETERS)                                    \
{                                                                               \
    AXIS_SETUP(AXIS)                                                            \
    T_IN best = VALUE(src[here]);                                               \
    WINDOW_LOOP(T_IN, best = PICK(best, VALUE(v)))                              \
    dst[here] = (T_OUT)best;                                                    \
}

// Minimum or maximum over an ellipsoid of radii (rx, ry, rz), pixel by pixel.
#define EXTREMUM_SPHERE(NAME, PICK)                                             \
__kernel void NAME##_sphere(__global const T_IN *src, __global T_OUT *dst,      \
                            SPHERE_PARAMETERS)                                  \
{                                                                               \
    PIXEL_SETUP                                                                 \
    T_IN best = VALUE(src[here]);                                               \
    WINDOW_TABLE_LOOP(best = PICK(best, VALUE(src[j])))                            \
    dst[here] = (T_OUT)best;                                                    \
}

// The same in two steps, for larger ellipsoids: `NAME_rows` writes the
// extremum (or sum) of the x-segment [x - w, x + w] for every w = 0..rx as
// plane w of `stack`; `NAME_sphere_rows` then combines the window's rows, one
// value per row (from the plane of that row's width) instead of one per
// pixel.  ACC_T is the type of the stack, LOAD converts a pixel to it.
#define ROW_SEGMENTS(NAME, ACC_T, LOAD, COMBINE)                                \
__kernel void NAME##_rows(__global const T_IN *src, __global ACC_T *stack,      \
                          const int rx, const int nx, const int ny, const int nz) \
{                                                                               \
    PIXEL_SETUP                                                                 \
    const long size = (long)nx * ny * nz;                                       \
    ACC_T acc = LOAD(src[here]);                                                \
    stack[here] = acc;                                                          \
    if (x >= rx && x + rx < nx) {                                               \
        for (int w = 1; w <= rx; ++w) {                                         \
            acc = COMBINE(acc, COMBINE(LOAD(src[here - w]), LOAD(src[here + w]))); \
            stack[w * size + here] = acc;                                       \
        }                                                                       \
    } else {                                                                    \
        const long start = here - x;                                            \
        for (int w = 1; w <= rx; ++w) {                                         \
            acc = COMBINE(acc, COMBINE(LOAD(src[start + max(x - w, 0)]),        \
                                       LOAD(src[start + min(x + w, nx - 1)]))); \
            stack[w * size + here] = acc;                                       \
        }                                                                       \
    }                                                                           \
}

#define EXTREMUM_SPHERE_ROWS(NAME, PICK)                                        \
ROW_SEGMENTS(NAME, T_IN, VALUE, PICK)                                           \
__kernel void NAME##_sphere_rows(__global const T_IN *stack, __global T_OUT *dst, \
                                 SPHERE_PARAMETERS)                             \
{                                                                               \
    PIXEL_SETUP                                                                 \
    const long size = (long)nx * ny * nz;                                       \
    T_IN best = stack[here];                                                    \
    WINDOW_ROWS_LOOP(best = PICK(best, stack[w * size + row]))                  \
    dst[here] = (T_OUT)best;                                                    \
}

EXTREMUM(minimum, min, x)
EXTREMUM(minimum, min, y)
EXTREMUM(minimum, min, z)
EXTREMUM(maximum, max, x)
EXTREMUM(maximum, max, y)
EXTREMUM(maximum, max, z)
EXTREMUM_SPHERE(minimum, min)
EXTREMUM_SPHERE(maximum, max)
EXTREMUM_SPHERE_ROWS(minimum, min)
EXTREMUM_SPHERE_ROWS(maximum, max)

// --- mean, variance, standard deviation -----------------------------------------
// Population statistics (divided by the number of pixels n of the window).

// Over a window table: two passes over the window (the mean, then the squared
// deviations from it), accurate in float32 where sum(x^2) - n mean^2 is not.
#define WINDOW_MEAN                                                             \
    float sum = 0.0f;                                                           \
    WINDOW_TABLE_LOOP(sum += (float)src[j])                                        \
    const float mean = sum * inverse_count;

#define WINDOW_VARIANCE                                                         \
    WINDOW_MEAN                                                                 \
    float squares = 0.0f;                                                       \
    WINDOW_TABLE_LOOP(const float d = (float)src[j] - mean; squares += d * d)      \
    const float variance = squares * inverse_count;

__kernel void mean_window(__global const T_IN *src, __global float *dst,
                          const float inverse_count, SPHERE_PARAMETERS)
{
    PIXEL_SETUP
    WINDOW_MEAN
    dst[here] = mean;
}

// The mean through row sums (see ROW_SEGMENTS), for larger ellipsoids.
#define LOAD_FLOAT(v) ((float)(v))
#define ADD(a, b) ((a) + (b))
ROW_SEGMENTS(sum, float, LOAD_FLOAT, ADD)

__kernel void mean_sphere_rows(__global const float *stack, __global float *dst,
                               const float inverse_count, SPHERE_PARAMETERS)
{
    PIXEL_SETUP
    const long size = (long)nx * ny * nz;
    float sum = 0.0f;
    WINDOW_ROWS_LOOP(sum += stack[w * size + row])
    dst[here] = sum * inverse_count;
}

__kernel void variance_window(__global const T_IN *src, __global float *dst,
                              const float inverse_count, SPHERE_PARAMETERS)
{
    PIXEL_SETUP
    WINDOW_VARIANCE
    dst[here] = variance;
}

__kernel void standard_deviation_window(__global const T_IN *src, __global float *dst,
                                        const float inverse_count, SPHERE_PARAMETERS)
{
    PIXEL_SETUP
    WINDOW_VARIANCE
    dst[here] = sqrt(variance);
}

// Over a box, one axis at a time, carrying (mean, variance) of the window so
// far as a float2: the values of a pass are m_i, v_i (i = 1..width) of equal
// counts, and the window's mean is mean(m_i), its variance
// mean(v_i) + mean((m_i - mean)^2) (Chan, Golub and LeVeque's pairwise
// update, two passes over the window as above).  FIRST_PASS: the input is the
// image (T_IN, variance 0); LAST_PASS: the output is the variance (float), or
// with STANDARD_DEVIATION its square root.
#ifdef FIRST_PASS
#define MOMENTS_IN T_IN
#define MOMENTS_ACC float
#define MEAN_OF(v) (v)
#define VARIANCE_OF(v) 0.0f
#else
#define MOMENTS_IN float2
#define MOMENTS_ACC float2
#define MEAN_OF(v) (v).x
#define VARIANCE_OF(v) (v).y
#endif

#ifdef LAST_PASS
#define MOMENTS_OUT float
#ifdef STANDARD_DEVIATION
#define STORE_MOMENTS(mean, variance) sqrt(variance)
#else
#define STORE_MOMENTS(mean, variance) (variance)
#endif
#else
#define MOMENTS_OUT float2
#define STORE_MOMENTS(mean, variance) ((float2)((mean), (variance)))
#endif

#define MOMENTS(AXIS)                                                           \
__kernel void moments_##AXIS(__global const MOMENTS_IN *src, __global MOMENTS_OUT *dst, \
                             const float inverse_width, PASS_PARAMETERS)       \
{                                                                               \
    AXIS_SETUP(AXIS)                                                            \
    float sum = 0.0f;                                                           \
    WINDOW_LOOP(MOMENTS_ACC, sum += MEAN_OF(v))                                 \
    const float mean = sum * inverse_width;                                     \
    float spread = 0.0f;                                                        \
    WINDOW_LOOP(MOMENTS_ACC, const float d = MEAN_OF(v) - mean;                 \
                             spread += d * d + VARIANCE_OF(v))                  \
    dst[here] = STORE_MOMENTS(mean, spread * inverse_width);                    \
}

MOMENTS(x)
MOMENTS(y)
MOMENTS(z)

// --- rank filters: median, mode --------------------------------------------------
// The WINDOW_SIZE values of the window are gathered into a private array as
// unsigned keys that sort like the values: KEY_T is the unsigned type of
// T_IN's width (KEY_BITS bits), KEY_SIGN its sign bit for signed types (0
// otherwise), KEY_FLOAT set for float.  The window is fixed at compile time
// (STATIC_* of neighbourhood.clh): with every loop unrolled the keys live in
// registers and the sorting network below is straight-line code.

#ifdef WINDOW_SIZE

#define AS_(T) as_##T
#define AS(T) AS_(T)

#ifdef KEY_FLOAT
// Negative floats: all bits flipped; others: the sign bit set.
#define TO_KEY(v) ((as_uint(v) & 0x80000000u) ? ~as_uint(v) : (as_uint(v) | 0x80000000u))
#define FROM_KEY(k) as_float(((k) & 0x80000000u) ? ((k) & 0x7fffffffu) : ~(k))
#else
#define TO_KEY(v) ((KEY_T)(AS(KEY_T)(v) ^ (KEY_T)KEY_SIGN))
#define FROM_KEY(k) AS(T_IN)((KEY_T)((k) ^ (KEY_T)KEY_SIGN))
#endif

#define GATHER_KEYS(keys)                                                       \
    int n = 0;                                                                  \
    STATIC_ELLIPSOID_LOOP(keys[n++] = TO_KEY(src[j]))

// Sort keys[0..SORT_SIZE) ascending (SORT_SIZE a power of two >= WINDOW_SIZE,
// the tail filled with the largest key): a bitonic network.  Unrolled, the
// compiler drops the exchanges that do not lead to the keys read afterwards.
#define BITONIC_SORT(keys)                                                      \
    for (int i = WINDOW_SIZE; i < SORT_SIZE; ++i)                               \
        keys[i] = (KEY_T)~(KEY_T)0;                                             \
    _Pragma("unroll")                                                           \
    for (int k = 2; k <= SORT_SIZE; k <<= 1)                                    \
        _Pragma("unroll")                                                       \
        for (int j = k >> 1; j > 0; j >>= 1)                                    \
            _Pragma("unroll")                                                   \
            for (int t = 0; t < SORT_SIZE / 2; ++t) {                           \
                const int lo = ((t & ~(j - 1)) << 1) | (t & (j - 1));          \
                const KEY_T a = keys[lo], b = keys[lo + j];                     \
                const bool up = (lo & k) == 0;                                  \
                keys[lo] = up ? min(a, b) : max(a, b);                          \
                keys[lo + j] = up ? max(a, b) : min(a, b);                      \
            }

// The median: the (WINDOW_SIZE / 2)-th smallest value (the window size is odd).
// SELECT_BITS: found bit by bit from the top, counting the keys below each
// candidate (KEY_BITS * WINDOW_SIZE comparisons: fewer than sorting for
// 8- and 16-bit types and windows just above a power of two); otherwise by
// sorting.  The host picks the cheaper.
__kernel void median_window(__global const T_IN *src, __global T_IN *dst, SPHERE_PARAMETERS)
{
    PIXEL_SETUP
#ifdef SELECT_BITS
    KEY_T keys[WINDOW_SIZE];
    GATHER_KEYS(keys)
    KEY_T found = 0;
    for (int bit = KEY_BITS - 1; bit >= 0; --bit) {
        const KEY_T candidate = found | (KEY_T)((KEY_T)1 << bit);
        int below = 0;
        for (int i = 0; i < WINDOW_SIZE; ++i)
            below += keys[i] < candidate;
        found = below <= WINDOW_SIZE / 2 ? candidate : found;
    }
    dst[here] = FROM_KEY(found);
#else
    KEY_T keys[SORT_SIZE];
    GATHER_KEYS(keys)
    BITONIC_SORT(keys)
    dst[here] = FROM_KEY(keys[WINDOW_SIZE / 2]);
#endif
}

// The most frequent value of the window; among equally frequent values the
// smallest (in ascending order the first to reach the count).  For labels.
__kernel void mode_window(__global const T_IN *src, __global T_IN *dst, SPHERE_PARAMETERS)
{
    PIXEL_SETUP
    KEY_T keys[SORT_SIZE];
    GATHER_KEYS(keys)
    BITONIC_SORT(keys)
    KEY_T best = keys[0];
    int best_count = 1, run = 1;
    for (int i = 1; i < WINDOW_SIZE; ++i) {
        run = keys[i] == keys[i - 1] ? run + 1 : 1;
        best = run > best_count ? keys[i] : best;
        best_count = max(run, best_count);
    }
    dst[here] = FROM_KEY(best);
}

#endif
