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

__kernel void greater_than_threshold(__global const T *image, __global const T *threshold,
                                     __global uchar *out)
{
    const size_t i = get_global_id(0);
    out[i] = image[i] > threshold[0];
}
