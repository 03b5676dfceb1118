//! Blocks: the steps of a branch arm (`steps = [...]`) and the operations a
//! step or an arm runs inline (`do = "op"`), compiled into the flat program
//! of the operation that runs them.
//!
//! An operation's program is its own steps, then its blocks. A block is
//! entered by a jump (`Step::Jump` for a `do` step, `Action::Goto` for an
//! arm) and ends with a `Step::Jump` back to the step after the one that
//! entered it, so the kernel runs any nesting with a program counter and no
//! stack. An inlined operation is copied into each program that runs it
//! (its demand as a compute step, then its steps), which is why a cycle of
//! `do`s is refused: it would never end.

use toml::Spanned;

use super::Step;
use super::compile::Compiler;
use super::steps::OpSite;
use crate::config;
use crate::error::{ModelError, closest};

/// Longest program an operation may compile to (the kernel's program counter is a `u16`).
const MAX_PROGRAM: usize = u16::MAX as usize;

/// What a block holds.
pub(super) enum Body<'n> {
    /// An arm's `steps`.
    Steps(&'n Spanned<Vec<Spanned<config::StepConfig>>>),
    /// An operation of the same service, run inline (`do`).
    Op(&'n Spanned<String>),
}

impl<'n> Compiler<'_> {
    /// Compiles `body` as a block of `at`'s program, written at `key`, that
    /// goes on at program counter `then` when done; returns where it starts.
    pub(super) fn block(&mut self, at: &OpSite<'n>, key: &str, body: Body<'n>, then: usize) -> Result<u16, ModelError> {
        let start = self.main_len + self.blocks.len();
        let (inner, demand, steps, step_key) = match body {
            Body::Steps(list) => {
                if list.get_ref().is_empty() {
                    return Err(self
                        .err(list.span(), format!("{key}.steps"), "an arm's `steps` list is empty")
                        .with_hint("leave `steps` out for an arm that just continues, e.g. { p = 0.2 }"));
                }
                (at.clone(), None, list.get_ref(), format!("{key}.steps"))
            }
            Body::Op(name) => {
                let (oname, cfg) = self.inlined(at, key, name)?;
                let mut inner = at.clone();
                inner.chain.push(oname);
                inner.tag = format!("@{}#{start}", at.name);
                (inner, cfg.demand.as_ref(), &cfg.steps, format!("services.{}.ops.{oname}.steps", at.sname))
            }
        };
        let len = usize::from(demand.is_some()) + steps.len() + 1;
        if start + len > MAX_PROGRAM {
            return Err(ModelError::new(
                &self.src.file,
                format!(
                    "operation `{}` compiles to more than {MAX_PROGRAM} steps with its arms and `do`s inlined",
                    at.name
                ),
            )
            .with_key(key.to_string())
            .with_hint("an operation run by `do` is copied where it runs: call it instead of repeating it so often"));
        }
        self.blocks.extend((0..len).map(|_| None));
        let mut pc = start;
        if let Some(d) = demand {
            let step = self.compute(&inner, pc, &d.0);
            self.place(pc, step, inner.p);
            pc += 1;
        }
        for (k, s) in steps.iter().enumerate() {
            let step = self.step(&inner, &format!("{step_key}[{k}]"), pc, k + 1 == steps.len(), s)?;
            self.place(pc, step, inner.p);
            pc += 1;
        }
        self.place(pc, Step::Jump { to: then as u16 }, inner.p);
        Ok(start as u16)
    }

    /// Fills the reserved step at program counter `pc`.
    fn place(&mut self, pc: usize, step: Step, reach: f64) {
        self.blocks[pc - self.main_len] = Some((step, reach));
    }

    /// The operation `name` of `at`'s service, which `do` at `key` runs
    /// inline: it must exist, not be part of a cycle of `do`s, and have
    /// nothing that only a call can honour.
    fn inlined(
        &self,
        at: &OpSite<'n>,
        key: &str,
        name: &Spanned<String>,
    ) -> Result<(&'n str, &'n config::OpConfig), ModelError> {
        let dkey = format!("{key}.do");
        let wanted = name.get_ref().as_str();
        // "op", or "service.op" naming the same service.
        let bare = match wanted.split_once('.') {
            Some((s, op)) if s == at.sname => op,
            Some((s, _)) => {
                return Err(self
                    .err(name.span(), dkey, format!("`do` runs an operation of `{}` itself, not of `{s}`", at.sname))
                    .with_hint(format!(
                        "`do` runs on the same thread (no queue, no network); to use another service, write {{ call = \"{wanted}\" }}"
                    )));
            }
            None => wanted,
        };
        let Some((_, oname, op)) = at.ops.get_full(bare) else {
            let mut e = self.err(name.span(), dkey, format!("service `{}` has no operation \"{bare}\"", at.sname));
            e.hint = Some(match closest(bare, at.ops.keys().map(String::as_str)) {
                Some(c) => format!("did you mean \"{c}\"?"),
                None => format!(
                    "`do` names an operation of the same service; `{}` has: {}",
                    at.sname,
                    at.ops.keys().map(String::as_str).collect::<Vec<_>>().join(", ")
                ),
            });
            return Err(e);
        };
        if let Some(first) = at.chain.iter().position(|c| *c == bare) {
            let cycle: Vec<&str> = at.chain[first..].iter().copied().chain([bare]).collect();
            return Err(self
                .err(name.span(), dkey, format!("operations run each other with `do` forever: {}", cycle.join(" -> ")))
                .with_hint("an operation run by `do` is copied where it runs, so `do`s may not form a cycle; for repetition use a call's `count`"));
        }
        let cfg = op.get_ref();
        if cfg.error_rate.is_some() || cfg.per_item.is_some() {
            let which = if cfg.error_rate.is_some() { "error_rate" } else { "per_item" };
            return Err(self
                .err(name.span(), dkey, format!("`{}.{oname}` has `{which}`, which only a call honours", at.sname))
                .with_hint(format!(
                    "`do` runs the operation's demand and steps inline; call it instead, or move `{which}` elsewhere"
                )));
        }
        Ok((oname.as_str(), cfg))
    }
}
