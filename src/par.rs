//! `par_map`, the one thread pool of agentctl: a project's environments are rendered on it
//! (`pipeline`), and the files of a multi-directory write are staged on it (`output`). Scoped
//! threads taking the items of a slice one at a time, order kept, a panicking thread's items
//! turned into values: no pool crate, no global state. A leaf: it knows nothing of what it runs.

use std::sync::atomic::{AtomicUsize, Ordering};

/// Maps `f` over `items` on up to `threads` scoped threads, keeping the order; a panicking
/// thread's items become `on_panic()`. The one thread pool of agentctl;
/// one thread (or one item) runs on the caller's thread, in order.
///
/// Each thread takes the next item not yet taken (a shared counter), not a fixed share of the
/// slice: items of unequal cost (environments of different profiles, directories of different
/// sizes) and a core taken away by another process leave no thread idle while another still
/// has a queue.
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
    let next = AtomicUsize::new(0);
    let (f, next) = (&f, &next);
    let done: Vec<Option<Vec<(usize, R)>>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(move || {
                    let mut out = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(item) = items.get(i) else { break };
                        out.push((i, f(item)));
                    }
                    out
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().ok()).collect()
    });
    let mut slots: Vec<Option<R>> = std::iter::repeat_with(|| None).take(items.len()).collect();
    for (i, r) in done.into_iter().flatten().flatten() {
        slots[i] = Some(r);
    }
    // An item without a result was taken by a thread that panicked (its results are lost
    // with it).
    slots
        .into_iter()
        .map(|r| r.unwrap_or_else(&on_panic))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::par_map;

    #[test]
    fn keeps_the_order_whatever_each_item_costs() {
        let items: Vec<u64> = (0..200).collect();
        let slow = |i: &u64| {
            if i.is_multiple_of(7) {
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
            i * 2
        };
        let want: Vec<u64> = items.iter().map(slow).collect();
        assert_eq!(par_map(&items, 3, slow, || u64::MAX), want);
    }

    #[test]
    fn a_panicking_item_becomes_the_fallback_and_the_rest_keep_their_places() {
        let items: Vec<u64> = (0..100).collect();
        let got = par_map(
            &items,
            4,
            |i| {
                assert!(*i != 50, "item 50 fails");
                i * 2
            },
            || u64::MAX,
        );
        assert_eq!(got.len(), 100);
        assert_eq!(got[50], u64::MAX);
        // The panicking thread's other results are lost with it; every other item is in place.
        for (i, v) in items.iter().zip(&got) {
            assert!(*v == u64::MAX || *v == 2 * i, "item {i}: {v}");
        }
    }
}
