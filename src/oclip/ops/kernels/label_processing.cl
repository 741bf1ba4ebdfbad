// Pixel-parallel kernels of label processing (label_processing.py): label
// erosion, label edges (edges.clh), holes in labels, combining label images.
// Images are (z, y, x), x fastest; a 2D image has nz = 1.
// Build options: T_IN (element type of the input), and for the sphere kernels
// what neighbourhood.clh needs.

#include "neighbourhood.clh"
#include "neighbours.clh"
#include "edges.clh"

// Keep a label pixel only if every pixel of the ellipsoid around it carries
// the same label (borders replicate the edge pixel).
__kernel void erode_labels_sphere(__global const uint *src, __global uint *dst,
                                  SPHERE_PARAMETERS)
{
    PIXEL_SETUP
    const uint v = src[here];
    uint keep = v != 0;
    if (keep) {
        ELLIPSOID_LOOP(keep &= src[j] == v)
    }
    dst[here] = keep ? v : 0u;
}

// --- holes in labels -------------------------------------------------------------
// `holes`: the connected components (faces) of the background.  Per hole:
// border[k] = 1 if it touches the image border (with `volume`, 3D images,
// also the first and last plane); low[k] / high[k] = the
// smallest and largest label among its pixels' face neighbours.
__kernel void hole_neighbours(__global const uint *labels, __global const uint *holes,
                              __global uint *border, volatile __global uint *low,
                              volatile __global uint *high, const int volume,
                              const int nx, const int ny, const int nz)
{
    PIXEL_SETUP
    const uint k = holes[here];
    if (k == 0)
        return;
    if (x == 0 || x == nx - 1 || y == 0 || y == ny - 1 || (volume && (z == 0 || z == nz - 1)))
        border[k] = 1u;
    uint a = UINT_MAX, b = 0;
    FACES({
        const uint l = labels[j];
        if (l) {
            a = min(a, l);
            b = max(b, l);
        }
    })
    if (a < low[k])
        atomic_min(low + k, a);
    if (b > high[k])
        atomic_max(high + k, b);
}

// A hole enclosed by one label (not on the border, a single neighbouring
// label) takes that label.
__kernel void fill_holes(__global const uint *labels, __global const uint *holes,
                         __global const uint *border, __global const uint *low,
                         __global const uint *high, __global uint *out)
{
    const size_t i = get_global_id(0);
    const uint k = holes[i];
    uint l = labels[i];
    if (k != 0 && !border[k] && low[k] == high[k])
        l = low[k];
    out[i] = l;
}

// labels2 drawn over labels1 (labels2 shifted by `offset`).
__kernel void draw_over(__global const uint *labels1, __global const uint *labels2,
                        __global uint *out, const uint offset)
{
    const size_t i = get_global_id(0);
    const uint b = labels2[i];
    out[i] = b ? b + offset : labels1[i];
}

// labels1 without the pixels labelled in labels2.
__kernel void subtract_labels(__global const uint *labels1, __global const uint *labels2,
                              __global uint *out)
{
    const size_t i = get_global_id(0);
    out[i] = labels2[i] ? 0u : labels1[i];
}
