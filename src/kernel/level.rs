//! A count that changes over time (threads busy, jobs queued, requests in
//! the system) and its integral over time, at one addition per change.
//!
//! The integral from the last restart to `now` is `count × now − offset`,
//! where `offset` adds `when` at each increment and subtracts it at each
//! decrement (and is `count × when` at the restart). Wrapping arithmetic
//! keeps it exact while the true integral fits in a `u128`, where adding
//! `count × (now − last)` at each change would need the time of the last.

use super::events::Time;

/// A time-weighted count.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Level {
    count: u32,
    offset: u128,
}

impl Level {
    /// The count now.
    #[inline]
    pub(super) fn get(&self) -> u32 {
        self.count
    }

    /// The count rises by one at `now`.
    #[inline]
    pub(super) fn up(&mut self, now: Time) {
        self.count += 1;
        self.offset = self.offset.wrapping_add(u128::from(now));
    }

    /// The count falls by one at `now`.
    #[inline]
    pub(super) fn down(&mut self, now: Time) {
        self.count -= 1;
        self.offset = self.offset.wrapping_sub(u128::from(now));
    }

    /// The count becomes `count` at `now`.
    pub(super) fn set(&mut self, count: u32, now: Time) {
        let area = self.area(now);
        self.count = count;
        self.offset = (u128::from(count) * u128::from(now)).wrapping_sub(area);
    }

    /// The integral of the count \[count × ns\] from the last restart to `now`.
    #[inline]
    pub(super) fn area(&self, now: Time) -> u128 {
        (u128::from(self.count) * u128::from(now)).wrapping_sub(self.offset)
    }

    /// The integral starts again from zero at `now`.
    pub(super) fn restart(&mut self, now: Time) {
        self.offset = u128::from(self.count) * u128::from(now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integrates_the_count_over_time() {
        let mut l = Level::default();
        l.up(10);
        l.up(20);
        l.down(50);
        // 1 for 10 ns, 2 for 30 ns, 1 for 10 ns.
        assert_eq!(l.area(60), 10 + 60 + 10);
        l.restart(60);
        assert_eq!(l.area(60), 0);
        l.set(4, 70);
        l.down(80);
        assert_eq!((l.get(), l.area(100)), (3, 10 + 4 * 10 + 3 * 20));
        l.set(0, 100);
        assert_eq!(l.area(1_000), 10 + 4 * 10 + 3 * 20);
    }
}
