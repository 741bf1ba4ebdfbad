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

#if EDGE_IS_DOUBLE
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
