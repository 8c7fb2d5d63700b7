//! How far two versions agree on the same request: the cosine of two embeddings of one text,
//! and the overlap of two rankings' first k results.

/// The cosine of `a` and `b` over the dimensions both have; 0 when either is zero. A shorter
/// vector is read as the longer one's first dimensions (as the bundled candidate is the full
/// model's first 128).
pub fn cosine(a: &[f32], b: &[f32]) -> f64 {
    let common = a.len().min(b.len());
    let (a, b) = (&a[..common], &b[..common]);
    if common == 0 {
        return 0.0;
    }
    let (mut dot, mut aa, mut bb) = (0.0f64, 0.0f64, 0.0f64);
    for (x, y) in a.iter().zip(b) {
        let (x, y) = (f64::from(*x), f64::from(*y));
        dot += x * y;
        aa += x * x;
        bb += y * y;
    }
    if aa == 0.0 || bb == 0.0 {
        return 0.0;
    }
    dot / (aa.sqrt() * bb.sqrt())
}

/// The share of `a`'s first `k` results that are among `b`'s first `k`: 1 when the two top-k
/// sets are the same, whatever their order. With fewer than `k` results, of the longer list.
pub fn overlap_at(k: usize, a: &[String], b: &[String]) -> f64 {
    let (a, b) = (&a[..a.len().min(k)], &b[..b.len().min(k)]);
    let longest = a.len().max(b.len());
    if longest == 0 {
        return 1.0;
    }
    let shared = a.iter().filter(|item| b.contains(item)).count();
    shared as f64 / longest as f64
}
