//! `par_map`, the one thread pool of agentctl: a project's environments are rendered on it
//! (`pipeline`), and the files of a multi-directory write are staged on it (`output`). Scoped
//! threads over chunks of a slice, order kept, a panicking thread's items turned into values:
//! no pool crate, no global state. A leaf: it knows nothing of what it runs.

/// Maps `f` over `items` on up to `threads` scoped threads, keeping the order; a panicking
/// thread's items become `on_panic()`. The one thread pool of agentctl;
/// one thread (or one item) runs on the caller's thread, in order.
pub fn par_map<T: Sync, R: Send>(
    items: &[T],
    threads: usize,
    f: impl Fn(&T) -> R + Sync,
    on_panic: impl Fn() -> R,
) -> Vec<R> {
    let threads = threads.min(items.len());
    if threads <= 1 {
        return items.iter().map(f).collect();
    }
    let chunk = items.len().div_ceil(threads);
    let f = &f;
    std::thread::scope(|s| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| {
                (
                    part.len(),
                    s.spawn(move || part.iter().map(f).collect::<Vec<_>>()),
                )
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|(n, h)| {
                h.join()
                    .unwrap_or_else(|_| (0..n).map(|_| on_panic()).collect())
            })
            .collect()
    })
}
