//! A first-in first-out queue of job ids: an instance's waiting jobs.
//!
//! A ring buffer of power-of-two capacity whose `push_back` and `pop_front`
//! inline into the event loop; only growing is a call. `VecDeque::push_back`
//! was a call on every queued job (1.7% of M/M/8's time).

/// A FIFO of `u32` ids.
#[derive(Debug, Default)]
pub(super) struct Fifo {
    /// Slots; the length is zero or a power of two.
    buf: Vec<u32>,
    /// Slot of the oldest id.
    head: usize,
    /// Number of ids queued.
    len: usize,
}

impl Fifo {
    /// Appends `id`.
    // `#[inline]` alone left this a call in the event loop.
    #[inline(always)]
    pub(super) fn push_back(&mut self, id: u32) {
        if self.len == self.buf.len() {
            self.grow();
        }
        let mask = self.buf.len() - 1;
        self.buf[(self.head + self.len) & mask] = id;
        self.len += 1;
    }

    /// Puts `id` ahead of every queued id (a preempted job resumes first).
    pub(super) fn push_front(&mut self, id: u32) {
        if self.len == self.buf.len() {
            self.grow();
        }
        let mask = self.buf.len() - 1;
        self.head = (self.head + mask) & mask;
        self.buf[self.head] = id;
        self.len += 1;
    }

    /// Removes and returns the oldest id.
    #[inline]
    pub(super) fn pop_front(&mut self) -> Option<u32> {
        if self.len == 0 {
            return None;
        }
        let id = self.buf[self.head];
        self.head = (self.head + 1) & (self.buf.len() - 1);
        self.len -= 1;
        Some(id)
    }

    /// The ids, oldest first.
    pub(super) fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        let mask = self.buf.len().wrapping_sub(1);
        (0..self.len).map(move |i| self.buf[(self.head + i) & mask])
    }

    /// Doubles the capacity (at least 16 slots), unrolling the ring so the
    /// oldest id sits in slot 0.
    #[cold]
    #[inline(never)]
    fn grow(&mut self) {
        let capacity = (self.buf.len() * 2).max(16);
        let mut buf: Vec<u32> = self.iter().collect();
        buf.resize(capacity, 0);
        self.buf = buf;
        self.head = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;

    #[test]
    fn matches_a_vecdeque_through_wraps_and_growth() {
        let mut fifo = Fifo::default();
        let mut model = VecDeque::new();
        // Pushes outpace pops, then pops catch up: the ring wraps at every
        // size it grows through.
        let mut next = 0u32;
        for round in 0..200u32 {
            for i in 0..(round % 7 + 1) {
                // Every third round also puts some at the front.
                if round % 3 == 0 && i % 2 == 1 {
                    fifo.push_front(next);
                    model.push_front(next);
                } else {
                    fifo.push_back(next);
                    model.push_back(next);
                }
                next += 1;
            }
            for _ in 0..(round % 5 + 1) {
                assert_eq!(fifo.pop_front(), model.pop_front());
            }
            assert!(fifo.iter().eq(model.iter().copied()));
        }
        while let Some(id) = model.pop_front() {
            assert_eq!(fifo.pop_front(), Some(id));
        }
        assert_eq!(fifo.pop_front(), None);
        assert_eq!(fifo.iter().count(), 0);
    }
}
