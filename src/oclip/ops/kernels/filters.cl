// Neighbourhood filters: separable passes along one axis (box windows) and
// windows given by a table of row widths (ellipsoids, "sphere", and boxes for
// filters that cannot be separated), with the machinery of neighbourhood.clh.
// Build options: T_IN, T_OUT (element types); VEC (pixels along x per
// work-item, see VECTOR_FRAME); the families below name theirs.  Kernel
// bodies are macros BODY(M, ...) run by VECTOR_FRAME on vectors (M = V) and
// single pixels (M = S).

#include "neighbourhood.clh"

#define PASS_PARAMETERS const int radius, const int nx, const int ny, const int nz

// How far a pass along an axis reaches along x.
#define REACH_x radius
#define REACH_y 0
#define REACH_z 0

// --- linear filters ------------------------------------------------------------

// Correlation with 2 * radius + 1 weights along AXIS, then STORE(M, sum).
#define CONVOLVE_BODY(M, AXIS, STORE)                                           \
    TYPE_##M(float) sum = 0.0f;                                                 \
    for (int k = -radius; k <= radius; ++k)                                     \
        sum += weights[k + radius]                                              \
               * CONVERT_##M(float, LOAD_##M(src, here + SHIFT_##AXIS##_##M(k))); \
    STORE(M, sum)

#define STORE_SUM(M, sum) STORE_##M(CONVERT_##M(T_OUT, sum), dst, here);

// The same correlation for BLOCKED_PASS: the sum in the same order.
#define CONVOLVE_UPDATE(acc, v, k, UNUSED)                                      \
    acc = ((k) == 0 ? 0.0f : acc) + weights[k] * (float)(v)

// A pass along AXIS: BLOCKED_PASS along y and z where BLOCK is defined (GPUs).
#if defined(BLOCK) && BLOCK > 1
#define CONVOLVE_PASS_y(STORE) BLOCKED_PASS(y, float, CONVOLVE_UPDATE, 0, STORE)
#define CONVOLVE_PASS_z(STORE) BLOCKED_PASS(z, float, CONVOLVE_UPDATE, 0, STORE)
#else
#define CONVOLVE_PASS_y(STORE) PASS_FRAME(y, REACH_y, CONVOLVE_BODY, y, STORE)
#define CONVOLVE_PASS_z(STORE) PASS_FRAME(z, REACH_z, CONVOLVE_BODY, z, STORE)
#endif
#define CONVOLVE_PASS_x(STORE) PASS_FRAME(x, REACH_x, CONVOLVE_BODY, x, STORE)

// A correlation (a Gaussian, a box of 1 / width...).
#define CONVOLVE(AXIS)                                                          \
__kernel void convolve_##AXIS(__global const T_IN *src, __global T_OUT *dst,    \
                              __constant float *weights, PASS_PARAMETERS)       \
{                                                                               \
    CONVOLVE_PASS_##AXIS(STORE_SUM)                                             \
}

CONVOLVE(x)
CONVOLVE(y)
CONVOLVE(z)

// The last pass of a correlation, combined with another image `other` (of
// type T_OTHER) into a float result: FINISH_SUBTRACT gives other - sum,
// FINISH_DIVIDE other / sum (0 where sum is 0), FINISH_CENTRE_MINUS_SUM
// CENTRE * other - sum (a box Laplacian from a box sum).
#if defined(FINISH_SUBTRACT)
#define FINISH(a, s) ((a) - (s))
#elif defined(FINISH_DIVIDE)
#define FINISH(a, s) ((s) != 0.0f ? (a) / (s) : 0.0f)
#elif defined(FINISH_CENTRE_MINUS_SUM)
#define FINISH(a, s) (CENTRE * (a) - (s))
#elif defined(FINISH_RESULT_MINUS)
#define FINISH(a, s) ((s) - (a))
#endif

#ifdef FINISH
#define STORE_FINISHED(M, sum)                                                  \
    STORE_##M(FINISH(CONVERT_##M(float, LOAD_##M(other, here)), sum), dst, here);

#define CONVOLVE_FINISH(AXIS)                                                   \
__kernel void convolve_finish_##AXIS(__global const T_IN *src, __global float *dst, \
                                     __constant float *weights,                 \
                                     __global const T_OTHER *other, PASS_PARAMETERS) \
{                                                                               \
    CONVOLVE_PASS_##AXIS(STORE_FINISHED)                                        \
}

CONVOLVE_FINISH(x)
CONVOLVE_FINISH(y)
CONVOLVE_FINISH(z)
#endif

// --- minimum and maximum (grey and binary erosion and dilation) ----------------
// With BINARY_INPUT defined every non-zero value counts as 1 (binary images of
// an unsigned type): the result is 1 where the extremum is non-zero.

#ifdef BINARY_INPUT
#define RESULT(v) min(v, (T_IN)1)
#else
#define RESULT(v) (v)
#endif

#define STORE_RESULT(M, best) STORE_##M(CONVERT_##M(T_OUT, RESULT(best)), dst, here);

// Minimum or maximum over a box, one axis at a time (PICK is min or max), then
// STORE(M, best).
#define EXTREMUM_BODY(M, PICK, AXIS, STORE)                                     \
    TYPE_##M(T_IN) best = LOAD_##M(src, here);                                  \
    for (int k = -radius; k <= radius; ++k)                                     \
        best = PICK(best, LOAD_##M(src, here + SHIFT_##AXIS##_##M(k)));         \
    STORE(M, best)

// The same for BLOCKED_PASS.
#define EXTREMUM_UPDATE(acc, v, k, PICK) acc = (k) == 0 ? (v) : PICK(acc, v)

#if defined(BLOCK) && BLOCK > 1
#define EXTREMUM_PASS_y(PICK, STORE) BLOCKED_PASS(y, T_IN, EXTREMUM_UPDATE, PICK, STORE)
#define EXTREMUM_PASS_z(PICK, STORE) BLOCKED_PASS(z, T_IN, EXTREMUM_UPDATE, PICK, STORE)
#else
#define EXTREMUM_PASS_y(PICK, STORE) PASS_FRAME(y, REACH_y, EXTREMUM_BODY, PICK, y, STORE)
#define EXTREMUM_PASS_z(PICK, STORE) PASS_FRAME(z, REACH_z, EXTREMUM_BODY, PICK, z, STORE)
#endif
#define EXTREMUM_PASS_x(PICK, STORE) PASS_FRAME(x, REACH_x, EXTREMUM_BODY, PICK, x, STORE)

#define EXTREMUM(NAME, PICK, AXIS)                                              \
__kernel void NAME##_##AXIS(__global const T_IN *src, __global T_OUT *dst,     \
                            PASS_PARAMETERS)                                    \
{                                                                               \
    EXTREMUM_PASS_##AXIS(PICK, STORE_RESULT)                                    \
}

// The last pass of an opening or closing combined with the image `other` of
// the same type (a top-hat: other - opening, FINISH_SUBTRACT; a bottom-hat:
// closing - other, FINISH_RESULT_MINUS), saving a pass over the image.
#if defined(FINISH_SUBTRACT) || defined(FINISH_RESULT_MINUS)
#define STORE_EXTREMUM_FINISHED(M, best)                                        \
    STORE_##M(CONVERT_##M(T_OUT, FINISH(CONVERT_##M(T_IN, LOAD_##M(other, here)), best)), \
              dst, here);

#define EXTREMUM_FINISH(NAME, PICK, AXIS)                                       \
__kernel void NAME##_finish_##AXIS(__global const T_IN *src, __global T_OUT *dst, \
                                   __global const T_OTHER *other, PASS_PARAMETERS) \
{                                                                               \
    EXTREMUM_PASS_##AXIS(PICK, STORE_EXTREMUM_FINISHED)                         \
}
#else
#define EXTREMUM_FINISH(NAME, PICK, AXIS)
#endif

// Minimum or maximum over an ellipsoid (the window table), pixel by pixel.
#define SPHERE_EXTREMUM_BODY(M, PICK)                                           \
    TYPE_##M(T_IN) best = LOAD_##M(src, here);                                  \
    FOR_WINDOW_ROWS(                                                            \
        _Pragma("unroll")                                                       \
        for (int dx = -w; dx <= w; ++dx)                                        \
            best = PICK(best, LOAD_##M(src, row + SHIFT_x_##M(dx))))            \
    STORE_RESULT(M, best)

#define EXTREMUM_SPHERE(NAME, PICK)                                             \
__kernel void NAME##_sphere(__global const T_IN *src, __global T_OUT *dst,      \
                            SPHERE_PARAMETERS)                                  \
{                                                                               \
    VECTOR_FRAME(WINDOW_RX, SPHERE_EXTREMUM_BODY, PICK)                         \
}

// The same in two steps, for larger ellipsoids: `NAME_rows` writes the
// extremum (or sum) of the x-segment [x - w, x + w] for every w = 0..rx as
// plane w of `stack` (of type ACC_T); `NAME_sphere_rows` then combines the
// window's rows, one value per row (from the plane of that row's width)
// instead of one per pixel.
#define ROW_SEGMENTS_BODY(M, ACC_T, COMBINE)                                    \
    const long size = (long)nx * ny * nz;                                       \
    TYPE_##M(ACC_T) acc = CONVERT_##M(ACC_T, LOAD_##M(src, here));              \
    STORE_##M(acc, stack, here);                                                \
    for (int w = 1; w <= rx; ++w) {                                             \
        acc = COMBINE(acc, COMBINE(                                             \
            CONVERT_##M(ACC_T, LOAD_##M(src, here + SHIFT_x_##M(-w))),          \
            CONVERT_##M(ACC_T, LOAD_##M(src, here + SHIFT_x_##M(w)))));         \
        STORE_##M(acc, stack, w * size + here);                                 \
    }

#define ROW_SEGMENTS(NAME, ACC_T, COMBINE)                                      \
__kernel void NAME##_rows(__global const T_IN *src, __global ACC_T *stack,      \
                          const int rx, const int nx, const int ny, const int nz) \
{                                                                               \
    VECTOR_FRAME(rx, ROW_SEGMENTS_BODY, ACC_T, COMBINE)                         \
}

#define SPHERE_ROWS_EXTREMUM_BODY(M, PICK)                                      \
    const long size = (long)nx * ny * nz;                                       \
    TYPE_##M(T_IN) best = LOAD_##M(stack, here);                                \
    FOR_WINDOW_ROWS(best = PICK(best, LOAD_##M(stack, w * size + row)))         \
    STORE_RESULT(M, best)

#define EXTREMUM_SPHERE_ROWS(NAME, PICK)                                        \
ROW_SEGMENTS(NAME, T_IN, PICK)                                                  \
__kernel void NAME##_sphere_rows(__global const T_IN *stack, __global T_OUT *dst, \
                                 SPHERE_PARAMETERS)                             \
{                                                                               \
    VECTOR_FRAME(0, SPHERE_ROWS_EXTREMUM_BODY, PICK)                            \
}

EXTREMUM(minimum, min, x)
EXTREMUM(minimum, min, y)
EXTREMUM(minimum, min, z)
EXTREMUM(maximum, max, x)
EXTREMUM(maximum, max, y)
EXTREMUM(maximum, max, z)
EXTREMUM_FINISH(minimum, min, x)
EXTREMUM_FINISH(minimum, min, y)
EXTREMUM_FINISH(minimum, min, z)
EXTREMUM_FINISH(maximum, max, x)
EXTREMUM_FINISH(maximum, max, y)
EXTREMUM_FINISH(maximum, max, z)
EXTREMUM_SPHERE(minimum, min)
EXTREMUM_SPHERE(maximum, max)
EXTREMUM_SPHERE_ROWS(minimum, min)
EXTREMUM_SPHERE_ROWS(maximum, max)

// --- mean, variance, standard deviation -----------------------------------------
// Population statistics (divided by the number of pixels n of the window).

#define ADD(a, b) ((a) + (b))

// The mean through row sums, for larger ellipsoids.
ROW_SEGMENTS(sum, float, ADD)

#define MEAN_SPHERE_ROWS_BODY(M, UNUSED)                                        \
    const long size = (long)nx * ny * nz;                                       \
    TYPE_##M(float) sum = 0.0f;                                                 \
    FOR_WINDOW_ROWS(sum += LOAD_##M(stack, w * size + row))                     \
    STORE_##M(sum * inverse_count, dst, here);

__kernel void mean_sphere_rows(__global const float *stack, __global float *dst,
                               const float inverse_count, SPHERE_PARAMETERS)
{
    VECTOR_FRAME(0, MEAN_SPHERE_ROWS_BODY, 0)
}

// Over a window table: two passes over the window (the mean, then the squared
// deviations from it), accurate in float32 where sum(x^2) - n mean^2 is not;
// FINISH_STATISTIC(M, mean, variance) stores the result.  The mean divides by
// the count (not multiplying by its inverse): a flat window's mean is then its
// value exactly, and its variance 0, as numpy's.
#define WINDOW_STATISTIC_BODY(M, FINISH_STATISTIC)                              \
    TYPE_##M(float) sum = 0.0f;                                                 \
    FOR_WINDOW_ROWS(                                                            \
        _Pragma("unroll")                                                       \
        for (int dx = -w; dx <= w; ++dx)                                        \
            sum += CONVERT_##M(float, LOAD_##M(src, row + SHIFT_x_##M(dx))))    \
    const TYPE_##M(float) mean = sum / count;                                   \
    FINISH_STATISTIC(M, mean)

#define STORE_MEAN(M, mean) STORE_##M(mean, dst, here);

#define SQUARED_DEVIATIONS(M, mean)                                             \
    TYPE_##M(float) squares = 0.0f;                                             \
    FOR_WINDOW_ROWS(                                                            \
        _Pragma("unroll")                                                       \
        for (int dx = -w; dx <= w; ++dx) {                                      \
            const TYPE_##M(float) d =                                           \
                CONVERT_##M(float, LOAD_##M(src, row + SHIFT_x_##M(dx))) - mean; \
            squares += d * d;                                                   \
        })

#define STORE_VARIANCE(M, mean)                                                 \
    SQUARED_DEVIATIONS(M, mean)                                                 \
    STORE_##M(squares * (1.0f / count), dst, here);

#define STORE_STANDARD_DEVIATION(M, mean)                                       \
    SQUARED_DEVIATIONS(M, mean)                                                 \
    STORE_##M(sqrt(squares * (1.0f / count)), dst, here);

__kernel void mean_window(__global const T_IN *src, __global float *dst,
                          const float count, SPHERE_PARAMETERS)
{
    VECTOR_FRAME(WINDOW_RX, WINDOW_STATISTIC_BODY, STORE_MEAN)
}

__kernel void variance_window(__global const T_IN *src, __global float *dst,
                              const float count, SPHERE_PARAMETERS)
{
    VECTOR_FRAME(WINDOW_RX, WINDOW_STATISTIC_BODY, STORE_VARIANCE)
}

__kernel void standard_deviation_window(__global const T_IN *src, __global float *dst,
                                        const float count, SPHERE_PARAMETERS)
{
    VECTOR_FRAME(WINDOW_RX, WINDOW_STATISTIC_BODY, STORE_STANDARD_DEVIATION)
}

// Over a box, one axis at a time, carrying the mean and the variance of the
// window so far in two planes (means at src[i], variances at src[size + i]):
// the values of a pass are m_i, v_i (i = 1..width) of equal counts, and the
// window's mean is mean(m_i), its variance mean(v_i) + mean((m_i - mean)^2)
// (Chan, Golub and LeVeque's pairwise update, two passes over the window as
// above).  FIRST_PASS: the input is the image (T_IN, variance 0); LAST_PASS:
// the output is the variance (one plane), or with STANDARD_DEVIATION its
// square root.
#ifdef FIRST_PASS
#define MOMENTS_IN T_IN
#define MEAN_AT(M, i) CONVERT_##M(float, LOAD_##M(src, i))
#define VARIANCE_AT(M, i) 0.0f
#else
#define MOMENTS_IN float
#define MEAN_AT(M, i) LOAD_##M(src, i)
#define VARIANCE_AT(M, i) LOAD_##M(src, size + (i))
#endif

#ifdef LAST_PASS
#ifdef STANDARD_DEVIATION
#define STORE_MOMENTS(M, mean, variance) STORE_##M(sqrt(variance), dst, here);
#else
#define STORE_MOMENTS(M, mean, variance) STORE_##M(variance, dst, here);
#endif
#else
#define STORE_MOMENTS(M, mean, variance)                                        \
    STORE_##M(mean, dst, here);                                                 \
    STORE_##M(variance, dst, size + here);
#endif

#define MOMENTS_BODY(M, AXIS)                                                   \
    const long size = (long)nx * ny * nz;                                       \
    TYPE_##M(float) sum = 0.0f;                                                 \
    for (int k = -radius; k <= radius; ++k)                                     \
        sum += MEAN_AT(M, here + SHIFT_##AXIS##_##M(k));                        \
    const TYPE_##M(float) mean = sum * inverse_width;                           \
    TYPE_##M(float) spread = 0.0f;                                              \
    for (int k = -radius; k <= radius; ++k) {                                   \
        const long i = here + SHIFT_##AXIS##_##M(k);                            \
        const TYPE_##M(float) d = MEAN_AT(M, i) - mean;                         \
        spread += d * d + VARIANCE_AT(M, i);                                    \
    }                                                                           \
    STORE_MOMENTS(M, mean, spread * inverse_width)

#define MOMENTS(AXIS)                                                           \
__kernel void moments_##AXIS(__global const MOMENTS_IN *src, __global float *dst, \
                             const float inverse_width, PASS_PARAMETERS)       \
{                                                                               \
    PASS_FRAME(AXIS, REACH_##AXIS, MOMENTS_BODY, AXIS)                              \
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
// the tail filled with the largest key): a bitonic network.  Unrolled
// (UNROLL_SORT defined), the compiler drops the exchanges that do not lead to
// the keys read afterwards; the host unrolls only where that is cheap to
// compile (CPU drivers, small networks): a GPU compiler given a fully
// unrolled 1024-key network works for minutes.
#ifdef UNROLL_SORT
#define SORT_UNROLL _Pragma("unroll")
#else
#define SORT_UNROLL
#endif
#define BITONIC_SORT(keys)                                                      \
    for (int i = WINDOW_SIZE; i < SORT_SIZE; ++i)                               \
        keys[i] = (KEY_T)~(KEY_T)0;                                             \
    SORT_UNROLL                                                                 \
    for (int k = 2; k <= SORT_SIZE; k <<= 1)                                    \
        SORT_UNROLL                                                             \
        for (int j = k >> 1; j > 0; j >>= 1)                                    \
            SORT_UNROLL                                                         \
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
