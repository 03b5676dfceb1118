//! Compiling a hedged call (`hedge = { after, max, cancel }` on a `call`
//! step): the options, and the refusals for steps that wait for no reply.
//! The kernel acts on it in `kernel/hedge.rs`.

use toml::Spanned;

use super::compile::Compiler;
use crate::config::{self, HedgeAfter};
use crate::error::ModelError;

/// A hedged call site: a second copy of a call goes out when the first has
/// not replied `after`; the first reply wins.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hedge {
    /// A delay, or a quantile of the site's observed latency.
    pub after: HedgeAfter,
    /// The losing copy is cancelled (at its next step) rather than left to finish.
    pub cancel: bool,
}

impl Hedge {
    /// Replies a quantile rule must see before it hedges: enough for its
    /// quantile to have 20 replies beyond it, and at least 100.
    pub fn warm_up(&self) -> u64 {
        match self.after {
            HedgeAfter::Delay(_) => 0,
            HedgeAfter::Quantile(q) => ((20.0 / (1.0 - q)).ceil() as u64).max(100),
        }
    }
}

impl Compiler<'_> {
    /// A step's hedge, refused on anything but a plain `call`.
    pub(super) fn hedge(&mut self, key: &str, step: &config::StepConfig) -> Result<Option<u32>, ModelError> {
        let Some(h) = &step.hedge else { return Ok(None) };
        let key = format!("{key}.hedge");
        let refuse = |why: &str, hint: &str| Err(self.err(h.span(), key.clone(), why.to_string()).with_hint(hint));
        if step.publish.is_some() {
            return refuse(
                "a publish waits for no reply, so there is nothing to hedge",
                "hedge a synchronous `call`; a publish returns at once",
            );
        }
        if step.forward.is_some() {
            return refuse(
                "a forward hands the request on and waits for no reply, so there is nothing to hedge",
                "hedge a synchronous `call` instead",
            );
        }
        if step.call.is_none() {
            return refuse("`hedge` applies to `call` steps only", "write it beside call = \"service.op\"");
        }
        let cfg: &config::HedgeConfig = Spanned::get_ref(h);
        if let Some(m) = cfg.max
            && m.0 != 1
        {
            return refuse("a hedge sends one extra copy at most (max = 1)", "remove `max` or set max = 1");
        }
        self.hedges.push(Hedge { after: cfg.after, cancel: cfg.cancel });
        Ok(Some((self.hedges.len() - 1) as u32))
    }
}
