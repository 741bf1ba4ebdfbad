// Histograms with given bin edges (oclip.ops.statistics.histogram).
//
// Each work-item walks the pixels i, i + global size, ...; a pixel x (in EDGE,
// the type of numpy's edges: double for integer images, float for float32
// ones) within [edges[0], edges[BINS]] goes to the bin b with
// edges[b] <= x < edges[b + 1] (the last bin closed), found by bisection over
// the edges as numpy.histogram's corrected bin indices; counted with atomics.
//
// Build options: T (the pixel type), EDGE (double or float), EDGE_IS_DOUBLE.

#if EDGE_IS_DOUBLE
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
#endif

__kernel void histogram_of_edges(__global const T *image, const ulong size,
                                 __global const EDGE *edges, const uint bins,
                                 __global uint *counts)
{
    for (ulong i = get_global_id(0); i < size; i += get_global_size(0)) {
        const EDGE x = (EDGE)image[i];
        if (!(x >= edges[0] && x <= edges[bins]))
            continue;
        uint low = 0, high = bins;  // edges[low] <= x; high == bins or x < edges[high]
        while (high - low > 1) {
            const uint middle = (low + high) / 2;
            if (edges[middle] <= x)
                low = middle;
            else
                high = middle;
        }
        atomic_inc(&counts[low]);
    }
}
