// Connected-component labeling by parallel union-find on (z, y, x) images.
//
// parent[i] <= i holds throughout: unions only ever lower a root's parent with
// atomic_min, so a component's root is its smallest index, its first pixel in
// raster order.  Numbering the roots in index order then gives labels in
// raster order, as scipy.ndimage.label does.  (Union-find with atomic_min and
// no locks: O. Kalentev et al. 2011; D. P. Playne and K. Hawick 2018.)
// Build options: CONNECTIVITY, the largest |dz| + |dy| + |dx| of a neighbour:
// 1 joins faces only ("diamond"), 3 also edges and corners ("box").

inline int find_root(volatile __global const int *parent, int i)
{
    int next = parent[i];
    while (next != i) {
        i = next;
        next = parent[i];
    }
    return i;
}

inline void unite(volatile __global int *parent, int a, int b)
{
    for (;;) {
        a = find_root(parent, a);
        b = find_root(parent, b);
        if (a == b)
            return;
        // Hang the larger root under the smaller one, unless another
        // work-item changed it meanwhile: then retry from the new parent.
        const int high = max(a, b), low = min(a, b);
        const int seen = atomic_min(&parent[high], low);
        if (seen == high)
            return;
        a = seen;
        b = low;
    }
}

__kernel void label_init(__global int *parent)
{
    const size_t i = get_global_id(0);
    parent[i] = (int)i;
}

// Each foreground pixel unites with its foreground neighbours that come
// earlier in raster order (the other half meets it from their side).
__kernel void label_merge(__global const uchar *binary, volatile __global int *parent,
                          const int nx, const int ny, const int nz)
{
    const int x = get_global_id(0), y = get_global_id(1), z = get_global_id(2);
    const int i = (z * ny + y) * nx + x;
    if (!binary[i])
        return;
    for (int dz = -1; dz <= 0; ++dz) {
        if (z + dz < 0)
            continue;
        for (int dy = -1; dy <= (dz < 0 ? 1 : 0); ++dy) {
            if (y + dy < 0 || y + dy >= ny)
                continue;
            const int last_dx = (dz < 0 || dy < 0) ? 1 : -1;
            for (int dx = -1; dx <= last_dx; ++dx) {
                if (x + dx < 0 || x + dx >= nx || abs(dz) + abs(dy) + abs(dx) > CONNECTIVITY)
                    continue;
                const int j = ((z + dz) * ny + (y + dy)) * nx + (x + dx);
                if (binary[j])
                    unite(parent, i, j);
            }
        }
    }
}

// Point every foreground pixel straight at its root.
__kernel void label_flatten(__global const uchar *binary, volatile __global int *parent)
{
    const int i = get_global_id(0);
    if (binary[i])
        parent[i] = find_root(parent, i);
}

// `number` holds, at each root, the inclusive count of roots up to it: the
// label.  `labels` may alias `parent`: each pixel reads only its own parent.
__kernel void label_assign(__global const uchar *binary, __global const int *parent,
                           __global const uint *number, __global uint *labels)
{
    const size_t i = get_global_id(0);
    labels[i] = binary[i] ? number[parent[i]] : 0u;
}
