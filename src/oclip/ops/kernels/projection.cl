// Projections: reductions of an image along one axis (and, built with P, the
// kernel that reads a stack at a map of z positions: z_position_planes below).
// The image is seen as (outer, len, inner), reduced along `len`:
//   z projection of (nz, ny, nx): outer = 1,       len = nz, inner = ny * nx
//   y projection:                 outer = nz,      len = ny, inner = nx
//   x projection:                 outer = nz * ny, len = nx, inner = 1
//
// strided_<reduction> (inner > 1): each work-item reduces a run of CHUNK
// consecutive inner elements, stepping through `len` with one contiguous row
// read per step, its partial results in private arrays.  On CPUs (CHUNK of a
// few hundred) the inner loop vectorizes and every step streams memory; on
// GPUs CHUNK is 1 and neighbouring work-items read neighbouring addresses.
// A run that would pass the end of `inner` is moved back to end there: it
// overlaps its neighbour, which writes the same values.
//
// contiguous_<reduction> (inner = 1): each work-item reduces one row, in LANES
// interleaved partial results merged at the end.
//
// Build options: T (element type), T_FLOAT (1 for float), T_SIGNED (1 for
// signed integers), SUM_T (accumulator of sums: long for integers, float for
// float), CHUNK, LANES.
//
// Every kernel takes, after its shape arguments, `rank`, `rank_high`, `t` and
// `u`: the order statistics' ranks and interpolation weights (unused by the
// other reductions).
//
// Each reduction defines, for partial result i:
//   DECLARE_<r>(N)        its private arrays of N partial results
//   INIT_<r>(i, first)    start it from the first value of the row/column
//   STEP_<r>(i, v, k)     take value v at position k (k = 0 included)
//   MERGE_<r>(i, j)       fold partial result j into i (same `first`)
//   FINISH_<r>(i, n)      the result after n values
//   OUT_<r>               the result's type
// The order statistics (median, percentile) share one state, ORDER, read over
// the column in several passes (strided kernels only): PASSES_ORDER,
// BEGIN_PASS_ORDER (statements at the start of pass `pass`) and
// END_PASS_ORDER(i) (closing it for partial result i) besides the above.

#ifdef P
// --- reading a stack at a map of z positions ----------------------------------
// Build options: T (the stack's element type), P (the map's), P_FLOAT (1 for a
// float map).  Plane i of dst (of as many planes as the grid's second axis)
// holds, at pixel p of a plane of `plane` pixels, src at plane
// clamp(z(p) + offset + step i, 0, nz - 1) (step 1 or -1): z(p) the map's value at p truncated
// toward zero (NaN: 0), the edge plane beyond the stack (replicated, as the
// borders of every operation).
__kernel void z_position_planes(__global const T *src, __global const P *position,
                                __global T *dst, const int plane, const int nz,
                                const int offset, const int step)
{
    const int p = get_global_id(0);
    if (p >= plane) return;
    const long i = get_global_id(1);
#if P_FLOAT
    const float v = position[p];
    // beyond +-2^30 every offset still leaves the stack: clamped first, then exact
    const long z0 = isnan(v) ? 0 : (long)clamp(trunc(v), -1073741824.0f, 1073741824.0f);
#else
    const long z0 = (long)position[p];
#endif
    const long z = clamp(z0 + offset + step * i, 0L, (long)nz - 1);
    dst[i * plane + p] = src[z * plane + p];
}

#else
#if T_FLOAT
// NaN propagates through minimum and maximum, as in numpy.
#define PICK_MAX(a, v) ((a) > (v) || isnan(a) ? (a) : (v))
#define PICK_MIN(a, v) ((a) < (v) || isnan(a) ? (a) : (v))
// v takes the place of the best value so far a (NaN beats all but NaN, as in
// numpy.argmax and numpy.argmin)
#define BEATS_argmax(v, a) ((v) > (a) || (isnan(v) && !isnan(a)))
#define BEATS_argmin(v, a) ((v) < (a) || (isnan(v) && !isnan(a)))
#else
#define PICK_MAX(a, v) max(a, v)
#define PICK_MIN(a, v) min(a, v)
#define BEATS_argmax(v, a) ((v) > (a))
#define BEATS_argmin(v, a) ((v) < (a))
#endif

#define DECLARE_maximum(N) T best[N];
#define INIT_maximum(i, first) best[i] = first;
#define STEP_maximum(i, v, k) best[i] = PICK_MAX(best[i], v);
#define MERGE_maximum(i, j) best[i] = PICK_MAX(best[i], best[j]);
#define FINISH_maximum(i, n) best[i]
#define OUT_maximum T

#define DECLARE_minimum(N) T best[N];
#define INIT_minimum(i, first) best[i] = first;
#define STEP_minimum(i, v, k) best[i] = PICK_MIN(best[i], v);
#define MERGE_minimum(i, j) best[i] = PICK_MIN(best[i], best[j]);
#define FINISH_minimum(i, n) best[i]
#define OUT_minimum T

#define DECLARE_sum(N) SUM_T total[N];
#define INIT_sum(i, first) total[i] = 0;
#define STEP_sum(i, v, k) total[i] += (SUM_T)(v);
#define MERGE_sum(i, j) total[i] += total[j];
#define FINISH_sum(i, n) (float)total[i]
#define OUT_sum float

#define DECLARE_mean DECLARE_sum
#define INIT_mean INIT_sum
#define STEP_mean STEP_sum
#define MERGE_mean MERGE_sum
#define FINISH_mean(i, n) ((float)total[i] / (float)(n))
#define OUT_mean float

// Population standard deviation from sums of v - first and its square: the
// shift by a value of the data keeps float32 sums of squares small.
#define DECLARE_std(N) float shift[N], s1[N], s2[N];
#define INIT_std(i, first) shift[i] = (float)(first); s1[i] = 0.0f; s2[i] = 0.0f;
#define STEP_std(i, v, k) { const float d = (float)(v) - shift[i]; s1[i] += d; s2[i] += d * d; }
#define MERGE_std(i, j) s1[i] += s1[j]; s2[i] += s2[j];
// Rounding may make the variance slightly negative: 0 then; NaN (from NaN or
// infinite pixels) stays NaN, as in numpy (max() would drop it).
inline float not_negative(const float v) { return v < 0.0f ? 0.0f : v; }
#define FINISH_std(i, n) sqrt(not_negative((s2[i] - s1[i] * s1[i] / (float)(n)) / (float)(n)))
#define OUT_std float

// Position of the first maximum / minimum (NaN counts as both, as in
// numpy.argmax and numpy.argmin).  Merged partial results: the better value,
// of equal ones the earlier position.
#define POSITION_OF(R, i, v, k)                                                 \
    const T v_ = (v); const int b_ = BEATS_##R(v_, best[i]);                    \
    best[i] = b_ ? v_ : best[i]; where[i] = b_ ? (uint)(k) : where[i];
#define MERGE_POSITION(R, i, j)                                                 \
    { const int b_ = BEATS_##R(best[j], best[i])                                \
          || (!BEATS_##R(best[i], best[j]) && where[j] < where[i]);             \
      best[i] = b_ ? best[j] : best[i]; where[i] = b_ ? where[j] : where[i]; }
#define DECLARE_argmax(N) T best[N]; uint where[N];
#define INIT_argmax(i, first) best[i] = first; where[i] = 0;
#define STEP_argmax(i, v, k) { POSITION_OF(argmax, i, v, k) }
#define MERGE_argmax(i, j) MERGE_POSITION(argmax, i, j)
#define FINISH_argmax(i, n) where[i]
#define OUT_argmax uint

#define DECLARE_argmin DECLARE_argmax
#define INIT_argmin INIT_argmax
#define STEP_argmin(i, v, k) { POSITION_OF(argmin, i, v, k) }
#define MERGE_argmin(i, j) MERGE_POSITION(argmin, i, j)
#define FINISH_argmin FINISH_argmax
#define OUT_argmin uint

// --- order statistics: median, percentile ----------------------------------
// The values of rank `rank` and `rank_high` (0-based, of the sorted column;
// rank_high is rank or rank + 1) by radix selection on order-preserving
// unsigned keys: pass p (of KEY_BITS) decides bit KEY_BITS - 1 - p of the
// rank-th key, counting the column's values that share the bits decided so far
// and have a 0 there; one more pass (when rank_high > rank) counts the values
// up to that key and finds the smallest key above it.  Any column length, no
// private copy of the column; NaN is refused by the operations.
#if T_FLOAT
#define KEY_BITS 32
inline uint order_key(const float v)
{
    const uint b = as_uint(v);
    return (b & 0x80000000u) ? ~b : b | 0x80000000u;
}
inline float key_value(const uint key)
{
    return as_float((key & 0x80000000u) ? key & 0x7fffffffu : ~key);
}
#else
#define KEY_BITS (8 * (int)sizeof(T))
#define KEY_SIGN (T_SIGNED ? 1u << (KEY_BITS - 1) : 0u)
#define KEY_MASK (KEY_BITS == 32 ? 0xffffffffu : (1u << (KEY_BITS & 31)) - 1u)
inline uint order_key(const T v) { return ((uint)v ^ KEY_SIGN) & KEY_MASK; }
inline float key_value(const uint key) { return (float)(T)(key ^ KEY_SIGN); }
#endif

#define DECLARE_ORDER(N) uint prefix[N], left[N], count[N], above[N];
#define INIT_ORDER(i, first) prefix[i] = 0u; left[i] = (uint)rank; count[i] = 0u; \
                             above[i] = 0xffffffffu;
#define PASSES_ORDER (KEY_BITS + (rank_high > rank))
// bit_: the bit this pass decides; high_: the bits above it (decided)
#define BEGIN_PASS_ORDER                                                        \
    const int bit_ = KEY_BITS - 1 - pass;                                       \
    const uint high_ = bit_ >= 0 ? ~((2u << bit_) - 1u) : 0u;                   \
    const int radix_ = bit_ >= 0;
#define STEP_ORDER(i, v, k)                                                     \
    {                                                                           \
        const uint key_ = order_key(v);                                         \
        if (radix_) {                                                           \
            count[i] += ((key_ ^ prefix[i]) & high_) == 0u                      \
                        && ((key_ >> (bit_ & 31)) & 1u) == 0u;                  \
        } else {                                                                \
            count[i] += key_ <= prefix[i];                                      \
            above[i] = key_ > prefix[i] ? min(above[i], key_) : above[i];       \
        }                                                                       \
    }
#define END_PASS_ORDER(i)                                                       \
    if (radix_) {                                                               \
        if (left[i] >= count[i]) { prefix[i] |= 1u << bit_; left[i] -= count[i]; } \
        count[i] = 0u;                                                          \
    }
// The two values: the rank-th, and the rank_high-th (the same key where more
// than rank_high values lie at or below it).
#define LOW_VALUE(i) key_value(prefix[i])
#define HIGH_VALUE(i) (rank_high == rank || count[i] > (uint)rank_high           \
                       ? key_value(prefix[i]) : key_value(above[i]))

// numpy.median: the middle value, or the mean of the two middle ones.
#define FINISH_median(i, n) (rank_high == rank ? LOW_VALUE(i)                    \
                             : (LOW_VALUE(i) + HIGH_VALUE(i)) / 2.0f)
#define OUT_median float

// numpy.percentile, method "linear", as numpy interpolates between the two
// values: hi - (hi - lo) u where u > 0 (numpy's form for weights of 0.5 and
// more, u = 1 - weight), lo + (hi - lo) t otherwise (t the weight).
inline float interpolated(const float lo, const float hi, const float t, const float u)
{
#pragma OPENCL FP_CONTRACT OFF
    const float d = hi - lo;
    return u > 0.0f ? hi - d * u : lo + d * t;
}
#define FINISH_percentile(i, n) interpolated(LOW_VALUE(i), HIGH_VALUE(i), t, u)
#define OUT_percentile float

// The body of strided_<r> for runs of M elements (CHUNK, or fewer when the
// whole inner extent is shorter): the state S (DECLARE_S, INIT_S, STEP_S) read
// over the column PASSES times, BEGIN and END (a macro of i) around each pass,
// then FINISH_R.
#define STRIDED_BODY(R, S, M, PASSES, BEGIN, END)                              \
    {                                                                           \
        DECLARE_##S(CHUNK)                                                      \
        for (int i = 0; i < (M); ++i) { INIT_##S(i, s[i]) }                      \
        for (int pass = 0; pass < (PASSES); ++pass) {                           \
            BEGIN                                                               \
            for (int k = 0; k < len; ++k) {                                     \
                __global const T *row = s + (long)k * inner;                    \
                for (int i = 0; i < (M); ++i) { STEP_##S(i, row[i], k) }         \
            }                                                                   \
            for (int i = 0; i < (M); ++i) { END(i) }                             \
        }                                                                       \
        for (int i = 0; i < (M); ++i) d[i] = FINISH_##R(i, len);                \
    }

// The arguments after the shape of every kernel (see the top).
#define ORDER_ARGUMENTS                                                         \
    const int rank, const int rank_high, const float t, const float u

#define STRIDED_KERNEL(R, S, PASSES, BEGIN, END)                                \
__kernel void strided_##R(__global const T *src, __global OUT_##R *dst,        \
                          const int inner, const int len, const int runs,       \
                          ORDER_ARGUMENTS)                                      \
{                                                                               \
    const int run = get_global_id(0);                                           \
    if (run >= runs) return;                                                    \
    const long outer = get_global_id(1);                                        \
    const int start = min(run * CHUNK, max(inner - CHUNK, 0));                  \
    __global const T *s = src + outer * len * inner + start;                    \
    __global OUT_##R *d = dst + outer * inner + start;                          \
    if (inner >= CHUNK) STRIDED_BODY(R, S, CHUNK, PASSES, BEGIN, END)           \
    else STRIDED_BODY(R, S, inner, PASSES, BEGIN, END)                          \
}

#define NO_END(i)
// A single-pass reduction, and an order statistic (state ORDER).
#define STRIDED(R) STRIDED_KERNEL(R, R, 1, , NO_END)
#define STRIDED_ORDER(R) STRIDED_KERNEL(R, ORDER, PASSES_ORDER, BEGIN_PASS_ORDER, END_PASS_ORDER)

#define CONTIGUOUS(R)                                                           \
__kernel void contiguous_##R(__global const T *src, __global OUT_##R *dst,     \
                             const int len, const int rows, ORDER_ARGUMENTS)    \
{                                                                               \
    const int r = get_global_id(0);                                             \
    if (r >= rows) return;                                                      \
    __global const T *s = src + (long)r * len;                                  \
    DECLARE_##R(LANES)                                                          \
    const T first = s[0];                                                       \
    for (int j = 0; j < LANES; ++j) { INIT_##R(j, first) }                       \
    int x = 0;                                                                  \
    for (; x + LANES <= len; x += LANES)                                        \
        for (int j = 0; j < LANES; ++j) { STEP_##R(j, s[x + j], x + j) }         \
    for (int j = 0; x + j < len; ++j) { STEP_##R(j, s[x + j], x + j) }           \
    for (int j = 1; j < LANES; ++j) { MERGE_##R(0, j) }                          \
    dst[r] = FINISH_##R(0, len);                                                \
}

STRIDED(maximum)
STRIDED(minimum)
STRIDED(sum)
STRIDED(mean)
STRIDED(std)
STRIDED(argmax)
STRIDED(argmin)
STRIDED_ORDER(median)
STRIDED_ORDER(percentile)
CONTIGUOUS(maximum)
CONTIGUOUS(minimum)
CONTIGUOUS(sum)
CONTIGUOUS(mean)
CONTIGUOUS(std)
CONTIGUOUS(argmax)
CONTIGUOUS(argmin)
#endif  // P
