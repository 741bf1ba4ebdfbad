// Geometric transforms.
//
// sample_nearest, sample_linear: every output pixel (x, y, z) takes the input
// at the coordinates an affine map gives it (scale, rotate, translate,
// resample, affine_transform, rigid_transform and the deskews all come here
// with their matrix, computed on the host; apply_vector_field with the
// identity and a vector field added, see FIELD_PARAMETERS).  The map goes from output to input coordinates, in numpy's axis
// order, as scipy.ndimage.affine_transform's matrix, given about the output's
// centre c (half-way pixel positions are exact in float32):
//     (cz, cy, cx) = M ((z, y, x) - c) + t
// A rotation's t is then the input's centre, and a coordinate that lies
// exactly half-way between two pixels comes out exact, as in scipy's float64.
// Coordinates outside the image are clamped to it, which replicates the edge
// pixel (scipy's mode="nearest"), or with ZERO_OUTSIDE 1 the input is taken
// as 0 outside the image (scipy's mode="grid-constant", cval=0: linear
// interpolation blends the edge pixels with 0 over the pixel beyond them).
// Build options: T_IN, T_OUT (element types), DIMS (2 or 3: a 2D image
// ignores the z row of the map), ZERO_OUTSIDE (0 or 1, default 0).
//
// gather: integer index maps for flip, transpose and upsample: the output
// pixel (x, y, z) is the input element
//     base + x' * sx + y' * sy + z' * sz
// (signed element strides) with x' = x, or with repetitions x' = x / rx,
// computed as floor((x + 0.5) / rx) by a float multiplication: (x + 0.5) / rx
// is at least 0.5 / rx from a whole number, far more than the rounding error
// below 2**22 pixels.  Build options: T, X_REPEAT (below).
//
// block_mean: the mean of each (fx, fy, fz) block, for downsample.  Build
// options as the samplers' (T_OUT is float).
//
// Every kernel gets the output's size (ox, oy, oz) and runs on a grid whose x
// is rounded up to whole work-groups of a row segment each (work-items past
// ox return): CPU drivers vectorize along such rows, and any width works.
//
// A program holds the kernels its build options allow: the samplers and
// block_mean with T_IN, T_OUT and DIMS, the gathers with T.

#define OUTPUT_PIXEL                                                            \
    const int x = get_global_id(0), y = get_global_id(1), z = get_global_id(2); \
    if (x >= ox) return;                                                        \
    const long here = ((long)z * oy + y) * ox + x;

#ifdef T_IN

#ifndef ZERO_OUTSIDE
#define ZERO_OUTSIDE 0
#endif

// A coordinate along an axis of n pixels: clamped to the image (the edge
// replicated), or for ZERO_OUTSIDE to one pixel beyond it (all farther
// coordinates read only zeros, and stay far from int overflow).
#if ZERO_OUTSIDE
#define LIMIT(v, n) clamp(v, -1.0f, (float)(n))
#else
#define LIMIT(v, n) clamp(v, 0.0f, (float)((n) - 1))
#endif

#define MATRIX_PARAMETERS                                                       \
    const float mzz, const float mzy, const float mzx, const float tz,          \
    const float myz, const float myy, const float myx, const float ty,          \
    const float mxz, const float mxy, const float mxx, const float tx

// With T_VX, T_VY, T_VZ (a vector field, for apply_vector_field): three images of
// the output's shape whose values are added to the mapped coordinates (x, y, z).
#ifdef T_VX
#define FIELD_PARAMETERS                                                        \
    , __global const T_VX *vx, __global const T_VY *vy, __global const T_VZ *vz
#define SHIFT_X ((float)vx[here])
#define SHIFT_Y ((float)vy[here])
#define SHIFT_Z ((float)vz[here])
#else
#define FIELD_PARAMETERS
#define SHIFT_X 0.0f
#define SHIFT_Y 0.0f
#define SHIFT_Z 0.0f
#endif

#define SAMPLE_PARAMETERS                                                       \
    __global const T_IN *src, __global T_OUT *dst, const int nx, const int ny,  \
    const int nz, const int ox, const int oy, const int oz, MATRIX_PARAMETERS   \
    FIELD_PARAMETERS

// The output pixel and its input coordinates (cx, cy, cz), clamped.
#define MAP_SETUP                                                               \
    OUTPUT_PIXEL                                                                \
    const float fx = x - 0.5f * (ox - 1), fy = y - 0.5f * (oy - 1),            \
                fz = z - 0.5f * (oz - 1);                                       \
    const float cx = LIMIT(mxz * fz + mxy * fy + mxx * fx + tx + SHIFT_X, nx);  \
    const float cy = LIMIT(myz * fz + myy * fy + myx * fx + ty + SHIFT_Y, ny);  \
    const float cz = DIMS == 3 ?                                                \
        LIMIT(mzz * fz + mzy * fy + mzx * fx + tz + SHIFT_Z, nz) : 0.0f;

__kernel void sample_nearest(SAMPLE_PARAMETERS)
{
    MAP_SETUP
    // Round half up, as scipy.ndimage for order 0.
    const int ix = (int)floor(cx + 0.5f), iy = (int)floor(cy + 0.5f),
              iz = (int)floor(cz + 0.5f);
#if ZERO_OUTSIDE
    if (ix < 0 || ix >= nx || iy < 0 || iy >= ny || iz < 0 || iz >= nz) {
        dst[here] = (T_OUT)0;
        return;
    }
#endif
    dst[here] = (T_OUT)src[((long)iz * ny + iy) * nx + ix];
}

__kernel void sample_linear(SAMPLE_PARAMETERS)
{
    MAP_SETUP
#if ZERO_OUTSIDE
    // The 4 (2D) or 8 (3D) pixels around (cx, cy, cz), those outside the image
    // weighted 0 (their indices clamped into it, so that every read is valid and
    // the code has no branch).
    const float x0 = floor(cx), y0 = floor(cy), z0 = floor(cz);
    const int ix = (int)x0, iy = (int)y0, iz = (int)z0;
#define INSIDE(i, n) ((float)((i) >= 0 && (i) < (n)))
    const float ax = (1.0f - (cx - x0)) * INSIDE(ix, nx), bx = (cx - x0) * INSIDE(ix + 1, nx);
    const float ay = (1.0f - (cy - y0)) * INSIDE(iy, ny), by = (cy - y0) * INSIDE(iy + 1, ny);
    const float az = (1.0f - (cz - z0)) * INSIDE(iz, nz), bz = (cz - z0) * INSIDE(iz + 1, nz);
#undef INSIDE
    const int x_0 = clamp(ix, 0, nx - 1), x_1 = clamp(ix + 1, 0, nx - 1);
    const long y_0 = (long)clamp(iy, 0, ny - 1) * nx, y_1 = (long)clamp(iy + 1, 0, ny - 1) * nx;
#define PLANE_VALUE(P)                                                          \
    (ay * (ax * (float)src[(P) + y_0 + x_0] + bx * (float)src[(P) + y_0 + x_1])  \
     + by * (ax * (float)src[(P) + y_1 + x_0] + bx * (float)src[(P) + y_1 + x_1]))
#if DIMS == 3
    const long z_0 = (long)clamp(iz, 0, nz - 1) * ny * nx;
    const long z_1 = (long)clamp(iz + 1, 0, nz - 1) * ny * nx;
    dst[here] = (T_OUT)(az * PLANE_VALUE(z_0) + bz * PLANE_VALUE(z_1));
#else
    dst[here] = (T_OUT)(az * PLANE_VALUE(0));
#endif
#undef PLANE_VALUE
#else
    const float x0 = floor(cx), y0 = floor(cy);
    const float wx = cx - x0, wy = cy - y0;
    const int ix = (int)x0, iy = (int)y0;
    const int jx = min(ix + 1, nx - 1) - ix;          // 0 on the last column
    const long jy = (long)(min(iy + 1, ny - 1) - iy) * nx;
#define PLANE_VALUE(P)                                                          \
    ((1.0f - wy) * ((1.0f - wx) * (float)src[P] + wx * (float)src[(P) + jx])    \
     + wy * ((1.0f - wx) * (float)src[(P) + jy] + wx * (float)src[(P) + jy + jx]))
#if DIMS == 3
    const float z0 = floor(cz);
    const float wz = cz - z0;
    const int iz = (int)z0;
    const long p0 = ((long)iz * ny + iy) * nx + ix;
    const long p1 = p0 + (long)(min(iz + 1, nz - 1) - iz) * ny * nx;
    dst[here] = (T_OUT)((1.0f - wz) * PLANE_VALUE(p0) + wz * PLANE_VALUE(p1));
#else
    const long p0 = (long)iy * nx + ix;
    dst[here] = (T_OUT)PLANE_VALUE(p0);
#endif
#undef PLANE_VALUE
#endif
}

__kernel void block_mean(__global const T_IN *src, __global float *dst,
                         const int nx, const int ny, const int nz,
                         const int ox, const int oy,
                         const int fx, const int fy, const int fz)
{
    OUTPUT_PIXEL
    const int x0 = x * fx, y0 = y * fy, z0 = z * fz;
    const int x1 = min(x0 + fx, nx), y1 = min(y0 + fy, ny), z1 = min(z0 + fz, nz);
    float sum = 0.0f;
    for (int k = z0; k < z1; ++k)
        for (int j = y0; j < y1; ++j) {
            __global const T_IN *row = src + ((long)k * ny + j) * nx;
            for (int i = x0; i < x1; ++i)
                sum += (float)row[i];
        }
    dst[here] = sum / (float)((x1 - x0) * (y1 - y0) * (z1 - z0));
}

#endif

#ifdef T

// X_REPEAT: 1 to divide the coordinates by the repetitions first (upsample).
// (A step along x fixed at build time, +1 or -1, made flips slower on
// PoCL than the run-time stride.)
#ifndef X_REPEAT
#define X_REPEAT 0
#endif

// rx, ry, rz are the reciprocals of the repetitions (1 for none).
__kernel void gather(__global const T *src, __global T *dst, const int ox, const int oy,
                     const long base, const long sx, const long sy, const long sz,
                     const float rx, const float ry, const float rz)
{
    OUTPUT_PIXEL
#if X_REPEAT
    const long row = base + (long)(((float)y + 0.5f) * ry) * sy
                     + (long)(((float)z + 0.5f) * rz) * sz;
    const int xi = (int)(((float)x + 0.5f) * rx);
#else
    const long row = base + y * sy + z * sz;
    const int xi = x;
#endif
    dst[here] = src[row + xi * sx];
}

#endif
