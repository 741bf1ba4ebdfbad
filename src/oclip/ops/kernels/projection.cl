// Projections: reductions of an image along one axis.  The image is seen as
// (outer, len, inner), reduced along `len`:
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
// Build options: T (element type), T_FLOAT (1 for float), SUM_T (accumulator
// of sums: long for integers, float for float), CHUNK, LANES.
//
// Each reduction defines, for partial result i:
//   DECLARE_<r>(N)        its private arrays of N partial results
//   INIT_<r>(i, first)    start it from the first value of the row/column
//   STEP_<r>(i, v, k)     take value v at position k (k = 0 included)
//   MERGE_<r>(i, j)       fold partial result j into i (same `first`)
//   FINISH_<r>(i, n)      the result after n values
//   OUT_<r>               the result's type

#if T_FLOAT
// NaN propagates through minimum and maximum, as in numpy.
#define PICK_MAX(a, v) ((a) > (v) || isnan(a) ? (a) : (v))
#define PICK_MIN(a, v) ((a) < (v) || isnan(a) ? (a) : (v))
#define BEATS(v, a) ((v) > (a) || (isnan(v) && !isnan(a)))
#else
#define PICK_MAX(a, v) max(a, v)
#define PICK_MIN(a, v) min(a, v)
#define BEATS(v, a) ((v) > (a))
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

// Position of the first maximum (NaN counts as the maximum, as numpy.argmax).
#define DECLARE_argmax(N) T best[N]; uint where[N];
#define INIT_argmax(i, first) best[i] = first; where[i] = 0;
#define STEP_argmax(i, v, k) { const T v_ = (v); const int b_ = BEATS(v_, best[i]);      \
                               best[i] = b_ ? v_ : best[i]; where[i] = b_ ? (uint)(k) : where[i]; }
#define FINISH_argmax(i, n) where[i]
#define OUT_argmax uint

// The body of strided_<r> for runs of M elements (CHUNK, or fewer when the
// whole inner extent is shorter).
#define STRIDED_BODY(R, M)                                                      \
    {                                                                           \
        DECLARE_##R(CHUNK)                                                      \
        for (int i = 0; i < (M); ++i) { INIT_##R(i, s[i]) }                      \
        for (int k = 0; k < len; ++k) {                                         \
            __global const T *row = s + (long)k * inner;                        \
            for (int i = 0; i < (M); ++i) { STEP_##R(i, row[i], k) }             \
        }                                                                       \
        for (int i = 0; i < (M); ++i) d[i] = FINISH_##R(i, len);                \
    }

#define STRIDED(R)                                                              \
__kernel void strided_##R(__global const T *src, __global OUT_##R *dst,        \
                          const int inner, const int len, const int runs)       \
{                                                                               \
    const int run = get_global_id(0);                                           \
    if (run >= runs) return;                                                    \
    const long outer = get_global_id(1);                                        \
    const int start = min(run * CHUNK, max(inner - CHUNK, 0));                  \
    __global const T *s = src + outer * len * inner + start;                    \
    __global OUT_##R *d = dst + outer * inner + start;                          \
    if (inner >= CHUNK) STRIDED_BODY(R, CHUNK)                                  \
    else STRIDED_BODY(R, inner)                                                 \
}

#define CONTIGUOUS(R)                                                           \
__kernel void contiguous_##R(__global const T *src, __global OUT_##R *dst,     \
                             const int len, const int rows)                     \
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
CONTIGUOUS(maximum)
CONTIGUOUS(minimum)
CONTIGUOUS(sum)
CONTIGUOUS(mean)
CONTIGUOUS(std)
