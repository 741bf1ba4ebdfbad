// Histograms and histogram-based thresholds, computed without leaving the device.
// Build options:
//   T, T2          element type and its 2-vector (the image's [min, max])
//   NBINS          number of bins
//   INTEGER_BINS   1: one bin per integer value, bin = value - TYPE_OFFSET
//                  (8- and 16-bit images, as skimage's bincount histogram);
//                  0: NBINS equal bins between min and max (as numpy.histogram)
//   TYPE_OFFSET    the smallest value of T when INTEGER_BINS is 1
//   LOCAL_HISTOGRAM 1: count per work-group in local memory first
//   T_IS_FLOAT     1 if T is float
//   ACC            float type of the threshold arithmetic (double where available)

#if ACC_IS_DOUBLE
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
#endif

inline int bin_of(const T value, const T2 range)
{
#if INTEGER_BINS
    return (int)value - (TYPE_OFFSET);
#else
    const float low = (float)range.x, high = (float)range.y;
    if (!(high > low))
        return 0;
    const int bin = (int)(((float)value - low) * ((float)NBINS / (high - low)));
    return clamp(bin, 0, NBINS - 1);
#endif
}

// Each work-group counts one contiguous chunk of the image.  The loop's trip
// count is the same for all work-items of a group, so CPU drivers can keep
// consecutive work-items on consecutive pixels.
__kernel void histogram(__global const T *image, const ulong n, const ulong chunk,
                        __global const T2 *range, __global uint *hist)
{
    const size_t lid = get_local_id(0), lsize = get_local_size(0);
#if LOCAL_HISTOGRAM
    __local uint counts[NBINS];
    for (size_t b = lid; b < NBINS; b += lsize)
        counts[b] = 0;
    barrier(CLK_LOCAL_MEM_FENCE);
#else
    __global uint *counts = hist;
#endif
    const T2 r = range[0];
    const ulong begin = get_group_id(0) * chunk;
    const ulong end = min(begin + chunk, n);
    for (ulong base = begin; base < end; base += lsize) {
        const ulong i = base + lid;
        if (i < end) {
            const T value = image[i];
#if !INTEGER_BINS
            if (isnan((float)value))
                continue;
#endif
            atomic_inc(&counts[bin_of(value, r)]);
        }
    }
#if LOCAL_HISTOGRAM
    barrier(CLK_LOCAL_MEM_FENCE);
    for (size_t b = lid; b < NBINS; b += lsize)
        if (counts[b])
            atomic_add(&hist[b], counts[b]);
#endif
}

// --- CPU variants: one work-item per work-group and per chunk ----------------
// On a CPU device a work-item that walks a contiguous chunk alone needs no
// atomics per pixel (its histogram is its own) and streams through memory.

// Partial [min, max] per chunk (NaN skipped); range_of_chunks reduces them.
__kernel void range_chunks(__global const T *image, const ulong n, const ulong chunk,
                           __global T2 *partial)
{
    const ulong begin = get_global_id(0) * chunk;
    const ulong end = min(begin + chunk, n);
#if T_IS_FLOAT
    T low = INFINITY, high = -INFINITY;
#else
    T low = image[begin], high = image[begin];
#endif
    for (ulong i = begin; i < end; ++i) {
        const T v = image[i];
        low = v < low ? v : low;  // false for NaN: skipped
        high = v > high ? v : high;
    }
    partial[get_global_id(0)] = (T2)(low, high);
}

__kernel void range_of_chunks(__global const T2 *partial, const int chunks, __global T2 *range)
{
    if (get_global_id(0) != 0)
        return;
    T2 r = partial[0];
    for (int k = 1; k < chunks; ++k) {
        const T2 p = partial[k];
        r.x = p.x < r.x ? p.x : r.x;
        r.y = p.y > r.y ? p.y : r.y;
    }
#if T_IS_FLOAT
    if (r.x > r.y)  // all NaN
        r = (T2)(NAN, NAN);
#endif
    range[0] = r;
}

// Histogram of a chunk in the work-group's local memory (one work-item per
// group: plain increments), added to the global counts at the end.  Only for
// up to 4096 bins (ops/_reductions.py launches it so): 65536 bins would not fit
// a GPU's local memory, and the compiler refuses the whole program.
#if NBINS <= 4096
__kernel void histogram_chunks(__global const T *image, const ulong n, const ulong chunk,
                               __global const T2 *range, __global uint *hist)
{
    __local uint counts[NBINS];
    for (int b = 0; b < NBINS; ++b)
        counts[b] = 0;
    const T2 r = range[0];
    const ulong begin = get_group_id(0) * chunk;
    const ulong end = min(begin + chunk, n);
    for (ulong i = begin; i < end; ++i) {
        const T value = image[i];
#if !INTEGER_BINS
        if (isnan((float)value))
            continue;
#endif
        ++counts[bin_of(value, r)];
    }
    for (int b = 0; b < NBINS; ++b)
        if (counts[b])
            atomic_add(&hist[b], counts[b]);
}
#endif

#if INTEGER_BINS
#define FIRST_BIN(r) ((int)(r).x - (TYPE_OFFSET))
#define LAST_BIN(r) ((int)(r).y - (TYPE_OFFSET))
#define CENTRE(b) ((ACC)((b) + (TYPE_OFFSET)))
#else
#define FIRST_BIN(r) 0
#define LAST_BIN(r) (NBINS - 1)
#define CENTRE(b) (low + ((ACC)(b) + (ACC)0.5) * width)
#endif

// A threshold value of type T such that `value > threshold` selects the
// foreground: integer images compare against the floor of the bin centre.
inline T threshold_value(const ACC centre)
{
#if T_IS_FLOAT
    return (T)centre;
#else
    return (T)floor(centre);
#endif
}

// Otsu's threshold: the bin centre maximising the between-class variance
// w1 * w2 * (m1 - m2)^2, first maximum on ties (skimage.filters.threshold_otsu).
// One work-item: the work is proportional to the number of bins, not pixels.
__kernel void otsu_threshold(__global const uint *hist, __global const T2 *range,
                             __global T *threshold)
{
    if (get_global_id(0) != 0)
        return;
    const T2 r = range[0];
    if (!(r.y > r.x)) {  // a constant image: nothing lies above its value
        threshold[0] = r.x;
        return;
    }
#if !INTEGER_BINS
    const ACC low = (ACC)r.x, width = ((ACC)r.y - low) / NBINS;
#endif
    const int first = FIRST_BIN(r), last = LAST_BIN(r);
    ACC total = 0, total_sum = 0;
    for (int b = first; b <= last; ++b) {
        total += hist[b];
        total_sum += hist[b] * CENTRE(b);
    }
    ACC weight1 = 0, sum1 = 0, best = -1;
    int best_bin = first;
    for (int b = first; b < last; ++b) {
        weight1 += hist[b];
        sum1 += hist[b] * CENTRE(b);
        const ACC weight2 = total - weight1;
        if (weight1 == 0 || weight2 == 0)
            continue;
        const ACC difference = sum1 / weight1 - (total_sum - sum1) / weight2;
        const ACC variance = weight1 * weight2 * difference * difference;
        if (variance > best) {
            best = variance;
            best_bin = b;
        }
    }
    threshold[0] = threshold_value(CENTRE(best_bin));
}

// The histogram-based thresholds below follow skimage.filters (threshold_*):
// on bins first..last (one per integer value for 8/16-bit images; 256 bins
// between min and max otherwise) with centres CENTRE(b).  One work-item.

#define HISTOGRAM_SETUP                                                         \
    if (get_global_id(0) != 0)                                                  \
        return;                                                                 \
    const T2 r = range[0];                                                      \
    if (!(r.y > r.x)) {  /* a constant image: nothing lies above its value */   \
        threshold[0] = r.x;                                                     \
        return;                                                                 \
    }

#if INTEGER_BINS
#define RANGE_SETUP
#define BIN_WIDTH ((ACC)1)
#else
#define RANGE_SETUP const ACC low = (ACC)r.x, width = ((ACC)r.y - low) / NBINS;
#define BIN_WIDTH width
#endif

// Isodata (Ridler-Calvard): the first bin centre t with
// 0 <= (mean below or at t + mean above t) / 2 - t < bin width.
__kernel void isodata_threshold(__global const uint *hist, __global const T2 *range,
                                __global T *threshold)
{
    HISTOGRAM_SETUP
    RANGE_SETUP
    const int first = FIRST_BIN(r), last = LAST_BIN(r);
    ACC total = 0, total_sum = 0;
    for (int b = first; b <= last; ++b) {
        total += hist[b];
        total_sum += hist[b] * CENTRE(b);
    }
    ACC count = 0, sum = 0, best_distance = INFINITY;
    int chosen = -1, closest = first;
    for (int b = first; b < last; ++b) {
        count += hist[b];
        sum += hist[b] * CENTRE(b);
        if (count == 0 || count == total)
            continue;
        const ACC mean = (sum / count + (total_sum - sum) / (total - count)) / 2;
        const ACC distance = mean - CENTRE(b);
        if (distance >= 0 && distance < BIN_WIDTH) {
            chosen = b;
            break;
        }
        if (fabs(distance) < best_distance) {  // no fixed point: the nearest
            best_distance = fabs(distance);
            closest = b;
        }
    }
    threshold[0] = threshold_value(CENTRE(chosen >= 0 ? chosen : closest));
}

// Yen: the bin maximising log((P1 (1 - P1))^2 / (S1 S2)) with P1 the
// cumulative probability up to the bin, S1, S2 the sums of squared
// probabilities up to it and above it; first maximum on ties.
__kernel void yen_threshold(__global const uint *hist, __global const T2 *range,
                            __global T *threshold)
{
    HISTOGRAM_SETUP
    RANGE_SETUP
    const int first = FIRST_BIN(r), last = LAST_BIN(r);
    ACC total = 0, squares = 0;
    for (int b = first; b <= last; ++b)
        total += hist[b];
    for (int b = first; b <= last; ++b) {
        const ACC p = hist[b] / total;
        squares += p * p;
    }
    ACC p1 = 0, s1 = 0, best = -INFINITY;
    int best_bin = first;
    for (int b = first; b < last; ++b) {
        const ACC p = hist[b] / total;
        p1 += p;
        s1 += p * p;
        const ACC s2 = squares - s1;
        const ACC spread = p1 * (1 - p1);
        const ACC criterion = log(spread * spread / (s1 * s2));
        if (criterion > best) {
            best = criterion;
            best_bin = b;
        }
    }
    threshold[0] = threshold_value(CENTRE(best_bin));
}

// Triangle (Zack et al.): the bin of the histogram farthest below the line
// from the peak to the end of the longer tail.
__kernel void triangle_threshold(__global const uint *hist, __global const T2 *range,
                                 __global T *threshold)
{
    HISTOGRAM_SETUP
    RANGE_SETUP
    const int first = FIRST_BIN(r), last = LAST_BIN(r);
    const int bins = last - first + 1;
    int peak = 0;
    uint height = 0;
    for (int k = 0; k < bins; ++k)
        if (hist[first + k] > height) {
            height = hist[first + k];
            peak = k;
        }
    // the first and last bins are not empty: they hold the minimum and maximum
    const int flip = peak < bins - 1 - peak;
    if (flip)
        peak = bins - 1 - peak;
    const ACC w = (ACC)peak, h = (ACC)height;
    ACC best = -INFINITY;
    int level = 0;
    for (int k = 0; k < peak; ++k) {
        const uint y = hist[first + (flip ? bins - 1 - k : k)];
        const ACC length = h * k - w * y;
        if (length > best) {
            best = length;
            level = k;
        }
    }
    if (flip)
        level = bins - 1 - level;
    threshold[0] = threshold_value(CENTRE(first + level));
}

// Li's minimum cross entropy, iterated on the histogram: t <- (m_b - m_f) /
// (log m_b - log m_f), with m_b, m_f the mean of the bins at or below t and
// above it (values shifted to start at 0), from the image mean, until t
// moves by at most half a bin (or 1000 iterations).
__kernel void li_threshold(__global const uint *hist, __global const T2 *range,
                           __global T *threshold)
{
    HISTOGRAM_SETUP
    RANGE_SETUP
    const int first = FIRST_BIN(r), last = LAST_BIN(r);
    const ACC minimum = (ACC)r.x;
    ACC total = 0, total_sum = 0;
    for (int b = first; b <= last; ++b) {
        total += hist[b];
        total_sum += hist[b] * (CENTRE(b) - minimum);
    }
    ACC next = total_sum / total, current = -BIN_WIDTH;
    const ACC tolerance = BIN_WIDTH / 2;
    for (int iteration = 0; iteration < 1000 && fabs(next - current) > tolerance;
         ++iteration) {
        current = next;
        ACC back = 0, back_sum = 0;
        for (int b = first; b <= last; ++b) {
            const ACC c = CENTRE(b) - minimum;
            if (c > current)
                break;
            back += hist[b];
            back_sum += hist[b] * c;
        }
        const ACC fore = total - back;
        if (back == 0 || fore == 0)
            break;
        const ACC mean_back = back_sum / back, mean_fore = (total_sum - back_sum) / fore;
        if (mean_back == 0)
            break;
        next = (mean_back - mean_fore) / (log(mean_back) - log(mean_fore));
    }
    threshold[0] = threshold_value(next + minimum);
}

// The mean: sum[0] is the sum of the image (ACC), n the pixel count.
__kernel void mean_threshold(__global const ACC *sum, const ulong n, __global T *threshold)
{
    if (get_global_id(0) == 0)
        threshold[0] = threshold_value(sum[0] / (ACC)n);
}

// Partial sums (ACC) per chunk; the host-side caller adds them on the device.
__kernel void sum_chunks(__global const T *image, const ulong n, const ulong chunk,
                         __global ACC *partial)
{
    const ulong begin = get_global_id(0) * chunk;
    const ulong end = min(begin + chunk, n);
    // eight independent sums: additions overlap instead of waiting on each other
    ACC s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
    ulong i = begin;
    for (; i + 8 <= end; i += 8) {
        s0 += (ACC)image[i];
        s1 += (ACC)image[i + 1];
        s2 += (ACC)image[i + 2];
        s3 += (ACC)image[i + 3];
        s4 += (ACC)image[i + 4];
        s5 += (ACC)image[i + 5];
        s6 += (ACC)image[i + 6];
        s7 += (ACC)image[i + 7];
    }
    for (; i < end; ++i)
        s0 += (ACC)image[i];
    partial[get_global_id(0)] = ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
}

// The mean threshold from partial sums.
__kernel void mean_of_chunks(__global const ACC *partial, const int chunks, const ulong n,
                             __global T *threshold)
{
    if (get_global_id(0) != 0)
        return;
    ACC sum = 0;
    for (int k = 0; k < chunks; ++k)
        sum += partial[k];
    threshold[0] = threshold_value(sum / (ACC)n);
}

__kernel void greater_than_threshold(__global const T *image, __global const T *threshold,
                                     __global uchar *out)
{
    const size_t i = get_global_id(0);
    out[i] = image[i] > threshold[0];
}
