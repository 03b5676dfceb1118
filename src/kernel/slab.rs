//! The slab of in-flight jobs: a `Vec` with a free list, so that after the
//! model reaches its working size no job allocates. Each slot has a
//! generation, bumped when freed, which lets events for a job that has since
//! gone (a cancelled timer, a reused slot) be recognised and skipped.

use std::ops::{Index, IndexMut};

use super::events::Time;
use crate::model::NONE;
use crate::stats::ErrorCause;

/// One operation execution of a request.
#[derive(Debug, Clone, Copy)]
pub(super) struct Job {
    /// Operation being executed.
    pub op: u32,
    /// Calling job, or `NONE` for the request itself.
    pub parent: u32,
    /// Instance the job is queued or served at.
    pub instance: u32,
    /// Call site in progress (index into `Network::calls`).
    pub calling: u32,
    /// Rounds of the call still to make, the one in progress included.
    pub remaining: u32,
    /// Replies still awaited in the current round.
    pub needed: u32,
    /// Failed replies the current round can still absorb (parallel minus quorum).
    pub spare: u32,
    /// Bumped whenever the job stops waiting (a round ends, a pool wait ends),
    /// so late replies and stale timeouts are recognised and ignored.
    pub token: u32,
    /// The parent's slot generation at the call, to detect a parent that is
    /// gone. A request or message has no parent; there it holds 1 + the
    /// completion tracker of the work it belongs to (0: none).
    pub parent_gen: u32,
    /// The parent's token at the call. A request or message has no parent;
    /// there it holds, for a status poll, 1 + its poller, and for a message its queue.
    pub parent_token: u32,
    /// Pool instance held, or `NONE`.
    pub pool: u32,
    /// When the request (root) or the call (child) began.
    pub arrived: Time,
    /// When the job joined its instance's queue.
    pub enqueued: Time,
    /// Network time the reply still needs on its way back (latency and transfer).
    pub reply_delay: Time,
    /// Request class.
    pub class: u16,
    /// Next step, relative to the op's first.
    pub pc: u16,
    /// Queue priority.
    pub priority: u8,
    /// Holds a thread of `instance`.
    pub holds_thread: bool,
    /// Waits in a pool's queue.
    pub waiting_pool: bool,
    /// Phase of a multi-part step: 0 idle; cache read 1 looking up, 2 on the
    /// miss path; database write 3 waiting for the primary.
    pub phase: u8,
    /// The key a cache or database step is working on.
    pub key: u32,
    /// Items the call that created this job carries (its batch size).
    pub items: u32,
    /// The client (of its class) the request comes from.
    pub client: u32,
    /// When the job got its thread (for load shedding's hold-time estimate).
    pub started: Time,
    /// Attempts made of the current round of the current call.
    pub attempt: u16,
    /// On the network: travelling to its service, or its reply travelling back.
    pub transit: Transit,
    /// Set when the job failed; it unwinds to the request.
    pub failure: Option<ErrorCause>,
    /// The slot's generation, kept here (in what was padding) rather than in
    /// a second vector, so that checking it shares the job's bounds check.
    /// Private: only the slab reads and writes it.
    generation: u32,
}

// The generation lives in what was padding: a job still fits in 104 bytes.
const _: () = assert!(std::mem::size_of::<Job>() <= 104);

impl Job {
    /// A job about to be dispatched to `op`.
    pub(super) fn new(op: u32, parent: u32, class: u16, priority: u8, now: Time) -> Job {
        Job {
            op,
            parent,
            instance: NONE,
            calling: NONE,
            remaining: 0,
            needed: 0,
            spare: 0,
            token: 0,
            parent_gen: 0,
            parent_token: 0,
            pool: NONE,
            arrived: now,
            enqueued: now,
            reply_delay: 0,
            class,
            pc: 0,
            priority,
            holds_thread: false,
            waiting_pool: false,
            phase: 0,
            key: 0,
            items: 1,
            client: 0,
            started: now,
            attempt: 0,
            transit: Transit::None,
            failure: None,
            generation: 0,
        }
    }
}

/// Where a job is on the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Transit {
    /// Not on the network.
    None,
    /// The call is on its way to the callee.
    Outbound,
    /// The reply is on its way back to the caller.
    Inbound,
}

/// Jobs by id, reusing freed slots.
#[derive(Debug, Default)]
pub(super) struct Slab {
    jobs: Vec<Job>,
    free: Vec<u32>,
}

impl Slab {
    /// Stores a job and returns its id.
    #[inline]
    pub(super) fn insert(&mut self, job: Job) -> u32 {
        match self.free.pop() {
            Some(id) => {
                let slot = &mut self.jobs[id as usize];
                let generation = slot.generation;
                *slot = job;
                slot.generation = generation;
                id
            }
            None => {
                self.jobs.push(job);
                (self.jobs.len() - 1) as u32
            }
        }
    }

    /// Frees a slot, returning its job.
    #[inline]
    pub(super) fn remove(&mut self, id: u32) -> Job {
        let slot = &mut self.jobs[id as usize];
        slot.generation = slot.generation.wrapping_add(1);
        self.free.push(id);
        *slot
    }

    /// Jobs alive (requests, calls and orphans).
    #[inline]
    pub(super) fn live(&self) -> u32 {
        (self.jobs.len() - self.free.len()) as u32
    }

    /// Ids of the live jobs, in slot order (allocates: for rare censuses, not the event loop).
    pub(super) fn live_ids(&self) -> impl Iterator<Item = u32> + '_ {
        let mut free = vec![false; self.jobs.len()];
        for &id in &self.free {
            free[id as usize] = true;
        }
        (0..self.jobs.len() as u32).filter(move |&id| !free[id as usize])
    }

    /// The slot's current generation.
    #[inline]
    pub(super) fn generation(&self, id: u32) -> u32 {
        self.jobs[id as usize].generation
    }
}

impl Index<u32> for Slab {
    type Output = Job;
    #[inline]
    fn index(&self, id: u32) -> &Job {
        &self.jobs[id as usize]
    }
}

impl IndexMut<u32> for Slab {
    #[inline]
    fn index_mut(&mut self, id: u32) -> &mut Job {
        &mut self.jobs[id as usize]
    }
}
