// Histograms with given bin edges (oclip.ops.statistics.histogram).
//
// A pixel x (in EDGE, the type of numpy's edges: double for integer images,
// float for float32 ones) within [edges[0], edges[BINS]] goes to the bin b with
// edges[b] <= x < edges[b + 1] (the last bin closed), as numpy.histogram's
// corrected bin indices: the bin of the equal-width formula, then moved
// down or up while the edges say so.
//
// histogram_of_edges (GPUs): each work-item walks the pixels i, i + global
// size, ... and counts with atomics.  histogram_of_edges_chunks (CPUs): one
// work-item per chunk of pixels counts into its own row of partial counts,
// without atomics; the rows are added afterwards.
//
// Build options: T (the pixel type), EDGE (double or float), EDGE_IS_DOUBLE.

// Each build defines what its kernel needs; the others' types default to float.
#ifndef EDGE
#define EDGE float
#define EDGE_IS_DOUBLE 0
#endif
#ifndef ACC
#define ACC float
#define ACC_IS_DOUBLE 0
#define MASKED 0
#endif

#if EDGE_IS_DOUBLE || ACC_IS_DOUBLE
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
#endif

// The bin of x, or -1 outside [edges[0], edges[bins]].
inline int bin_of(const EDGE x, __global const EDGE *edges, const uint bins, const EDGE scale)
{
    if (!(x >= edges[0] && x <= edges[bins]))
        return -1;
    int b = (int)min((EDGE)(bins - 1), (x - edges[0]) * scale);
    b = max(b, 0);
    while (b > 0 && x < edges[b])
        b--;
    while (b < (int)bins - 1 && x >= edges[b + 1])
        b++;
    return b;
}

__kernel void histogram_of_edges(__global const T *image, const ulong size,
                                 __global const EDGE *edges, const uint bins,
                                 const EDGE scale, __global uint *counts)
{
    for (ulong i = get_global_id(0); i < size; i += get_global_size(0)) {
        const int b = bin_of((EDGE)image[i], edges, bins, scale);
        if (b >= 0)
            atomic_inc(&counts[b]);
    }
}

__kernel void histogram_of_edges_chunks(__global const T *image, const ulong size,
                                        const ulong chunk, __global const EDGE *edges,
                                        const uint bins, const EDGE scale,
                                        __global uint *partial)
{
    const ulong first = get_global_id(0) * chunk;
    const ulong last = min(size, first + chunk);
    __global uint *counts = partial + get_global_id(0) * (ulong)bins;
    for (ulong i = first; i < last; i++) {
        const int b = bin_of((EDGE)image[i], edges, bins, scale);
        if (b >= 0)
            counts[b]++;
    }
}

// Whole-image reductions on CPUs: one work-item per chunk of pixels
// [id * chunk, min(size, (id + 1) * chunk)), a row of partial results each,
// combined on the host (GPUs use pyopencl's reductions instead).
// Build options: T, ACC (the sum's type: long for integer images, else double
// or float), ACC_IS_DOUBLE, MASKED (0/1: only pixels where mask != 0).

#if MASKED
#define KEPT(i) (mask[i] != 0)
#else
#define KEPT(i) 1
#endif

// The pixel count and the sum of a chunk.
__kernel void sum_chunks(__global const T *image, __global const uchar *mask,
                         const ulong size, const ulong chunk, __global ulong *counts,
                         __global ACC *sums)
{
    const ulong first = get_global_id(0) * chunk;
    const ulong last = min(size, first + chunk);
    ulong count = 0;
    ACC sum = 0;
    for (ulong i = first; i < last; i++) {
        if (KEPT(i)) {
            count++;
            sum += (ACC)image[i];
        }
    }
    counts[get_global_id(0)] = count;
    sums[get_global_id(0)] = sum;
}

// The sum of the squared deviations from mean of a chunk.
__kernel void squared_deviation_chunks(__global const T *image, __global const uchar *mask,
                                       const ulong size, const ulong chunk, const ACC mean,
                                       __global ACC *sums)
{
    const ulong first = get_global_id(0) * chunk;
    const ulong last = min(size, first + chunk);
    ACC sum = 0;
    for (ulong i = first; i < last; i++) {
        if (KEPT(i)) {
            const ACC d = (ACC)image[i] - mean;
            sum += d * d;
        }
    }
    sums[get_global_id(0)] = sum;
}

// The first index of a chunk whose pixel equals value (ULONG_MAX: none).
__kernel void first_index_chunks(__global const T *image, const ulong size, const ulong chunk,
                                 const T value, __global ulong *found)
{
    const ulong first = get_global_id(0) * chunk;
    const ulong last = min(size, first + chunk);
    ulong index = ULONG_MAX;
    for (ulong i = first; i < last; i++) {
        if (image[i] == value) {
            index = i;
            break;
        }
    }
    found[get_global_id(0)] = index;
}
