// Pixel kernels of the Binarize operations of threshold.py besides the
// histogram thresholds (threshold.cl): local extrema and binary edges.
// Images are (z, y, x), x fastest; a 2D image has nz = 1.
// Build options: T_IN (element type of the input), BINARY (edges.clh).

#include "edges.clh"

// out = (a == b): with b the maximum (minimum) filter of a, the local maxima (minima).
__kernel void equal_images(__global const T_IN *a, __global const T_IN *b,
                           __global uchar *out)
{
    const size_t i = get_global_id(0);
    out[i] = a[i] == b[i];
}
