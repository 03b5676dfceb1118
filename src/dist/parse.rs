//! The text form of a distribution: `name(args)` split into a [`Call`],
//! the family names and aliases ([`Family`]), positional and named arguments
//! resolved onto canonical keys ([`Params`]), and every error message that
//! tells a model author how to write it instead.
//!
//! Parsing only reads text into numbers and picks the constructor; the
//! constructors in `families.rs` and `empirical.rs` validate the values.

use std::str::FromStr;

use crate::units::{parse_duration, parse_rate};

use super::{Dist, DistError, err};

const FAMILIES: &str = "exp, const, uniform, normal, lognormal, gamma, erlang, weibull, pareto, hyperexp or empirical";

impl Dist {
    /// Parses the text syntax described in the [module documentation](crate::dist),
    /// e.g. `"exp(5ms)"` or `"gamma(mean=10ms, cv=0.5)"`.
    pub fn parse(text: &str) -> Result<Dist, DistError> {
        let call = Call::parse(text)?;
        call.build()
    }
}

impl FromStr for Dist {
    type Err = DistError;

    fn from_str(text: &str) -> Result<Dist, DistError> {
        Dist::parse(text)
    }
}

/// `name(args)` split into positional and named arguments.
struct Call<'a> {
    family: Family,
    usage: &'static str,
    positional: Vec<&'a str>,
    /// (lower-cased key, key as written, value)
    named: Vec<(String, &'a str, &'a str)>,
}

/// The distribution families a model file can name: a closed set, so
/// `build` handles each one and a new family cannot be forgotten.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    Exp,
    Const,
    Uniform,
    Normal,
    Lognormal,
    Gamma,
    Erlang,
    Weibull,
    Pareto,
    Hyperexp,
    Empirical,
}

impl Family {
    /// The family a (lower-case) name or alias stands for.
    fn lookup(name: &str) -> Option<Family> {
        Some(match name {
            "exp" | "exponential" => Family::Exp,
            "const" | "constant" | "det" | "deterministic" => Family::Const,
            "uniform" => Family::Uniform,
            "normal" => Family::Normal,
            "lognormal" => Family::Lognormal,
            "gamma" => Family::Gamma,
            "erlang" => Family::Erlang,
            "weibull" => Family::Weibull,
            "pareto" => Family::Pareto,
            "hyperexp" | "hyperexponential" => Family::Hyperexp,
            "empirical" => Family::Empirical,
            _ => return None,
        })
    }

    /// The canonical name, as error messages say it.
    fn name(self) -> &'static str {
        match self {
            Family::Exp => "exp",
            Family::Const => "const",
            Family::Uniform => "uniform",
            Family::Normal => "normal",
            Family::Lognormal => "lognormal",
            Family::Gamma => "gamma",
            Family::Erlang => "erlang",
            Family::Weibull => "weibull",
            Family::Pareto => "pareto",
            Family::Hyperexp => "hyperexp",
            Family::Empirical => "empirical",
        }
    }

    /// Usage examples, for error messages.
    fn usage(self) -> &'static str {
        match self {
            Family::Exp => "exp(5ms), exp(mean=5ms) or exp(rate=200/s)",
            Family::Const => "const(10ms)",
            Family::Uniform => "uniform(1ms, 5ms) or uniform(min=1ms, max=5ms)",
            Family::Normal => "normal(mean=10ms, sd=2ms)",
            Family::Lognormal => "lognormal(mean=20ms, cv=0.5) or lognormal(median=10ms, p99=100ms)",
            Family::Gamma => "gamma(mean=10ms, cv=0.5) or gamma(shape=2, scale=5ms)",
            Family::Erlang => "erlang(k=3, mean=30ms)",
            Family::Weibull => "weibull(shape=1.5, scale=10ms) or weibull(shape=1.5, mean=10ms)",
            Family::Pareto => "pareto(alpha=2.5, min=1ms)",
            Family::Hyperexp => "hyperexp(p=0.9, mean1=1ms, mean2=50ms) or hyperexp(mean=10ms, cv=3)",
            Family::Empirical => "empirical(1ms, 2ms, 5ms) or empirical(p0=1ms, p50=10ms, p99=100ms, p100=300ms)",
        }
    }
}

fn unknown_family(name: &str) -> DistError {
    DistError(format!("unknown distribution \"{name}\": use {FAMILIES}"))
}

/// "a", "a and b", "a, b and c".
fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

impl<'a> Call<'a> {
    fn parse(text: &'a str) -> Result<Call<'a>, DistError> {
        let text = text.trim();
        if text.is_empty() {
            return err(format!("empty distribution: write e.g. exp(5ms) or const(10ms) (families: {FAMILIES})"));
        }
        let Some(open) = text.find('(') else {
            let word = text.split_whitespace().next().unwrap_or(text);
            return match Family::lookup(&word.to_ascii_lowercase()) {
                Some(f) => err(format!("{}: put the arguments in parentheses, e.g. {}", f.name(), f.usage())),
                // A bare time: the user meant a fixed (or mean) duration.
                None if parse_duration(text).is_ok() => err(format!(
                    "\"{text}\" is a time, not a distribution: for a fixed time write const({text}), for exponential times with that mean exp({text})"
                )),
                None => Err(unknown_family(word)),
            };
        };
        let name = text[..open].trim();
        if name.is_empty() {
            return err(format!("missing distribution name before \"(\": write e.g. exp(5ms) (families: {FAMILIES})"));
        }
        let family = Family::lookup(&name.to_ascii_lowercase()).ok_or_else(|| unknown_family(name))?;
        let (fam, usage) = (family.name(), family.usage());
        let rest = &text[open + 1..];
        let Some(close) = rest.rfind(')') else {
            return err(format!("{fam}: missing closing parenthesis in \"{text}\": write e.g. {usage}"));
        };
        let trailing = rest[close + 1..].trim();
        if !trailing.is_empty() {
            return err(format!("{fam}: unexpected \"{trailing}\" after the closing parenthesis: write e.g. {usage}"));
        }
        let inner = &rest[..close];
        if inner.contains(['(', ')']) {
            return err(format!("{fam}: unexpected parenthesis inside the arguments: write e.g. {usage}"));
        }
        let mut call = Call { family, usage, positional: Vec::new(), named: Vec::new() };
        if inner.trim().is_empty() {
            return Ok(call);
        }
        for arg in inner.split(',') {
            let arg = arg.trim();
            if arg.is_empty() {
                return err(format!("{fam}: empty argument (a stray comma?) in \"{text}\": write e.g. {usage}"));
            }
            match arg.split_once('=') {
                Some((key, value)) => {
                    let (key, value) = (key.trim(), value.trim());
                    if key.is_empty() || value.is_empty() {
                        return err(format!(
                            "{fam}: \"{arg}\" needs a name and a value, like mean=5ms: write e.g. {usage}"
                        ));
                    }
                    call.named.push((key.to_ascii_lowercase(), key, value));
                }
                None => call.positional.push(arg),
            }
        }
        Ok(call)
    }

    /// Maps positional arguments onto `positional` names and named ones onto
    /// the canonical keys (each with its aliases).
    fn resolve(&self, positional: &[&'static str], keys: &[(&'static str, &[&str])]) -> Result<Params<'a>, DistError> {
        let (fam, usage) = (self.family.name(), self.usage);
        if self.positional.len() > positional.len() {
            return if positional.is_empty() {
                err(format!("{fam} takes named arguments, like name=value: write e.g. {usage}"))
            } else {
                err(format!("{fam}: too many arguments: write e.g. {usage}"))
            };
        }
        let mut values: Vec<(&'static str, &'a str)> =
            positional.iter().copied().zip(self.positional.iter().copied()).collect();
        for (key, written, value) in &self.named {
            let Some((canon, _)) = keys.iter().find(|(c, aliases)| c == key || aliases.contains(&key.as_str())) else {
                let names: Vec<String> = keys.iter().map(|(c, _)| format!("{c}=")).collect();
                let names = match names.as_slice() {
                    [init @ .., last] if !init.is_empty() => {
                        format!("{} or {last}", init.join(", "))
                    }
                    _ => names.join(""),
                };
                return err(format!("{fam}: unknown argument \"{written}\": use {names}, e.g. {usage}"));
            };
            if values.iter().any(|(c, _)| c == canon) {
                return err(format!("{fam}: {canon} is given twice"));
            }
            values.push((canon, value));
        }
        Ok(Params { family: fam, usage, values })
    }

    fn build(&self) -> Result<Dist, DistError> {
        match self.family {
            Family::Exp => {
                let p = self.resolve(&["mean"], &[("mean", &[]), ("rate", &["lambda"])])?;
                match p.form(&[&["mean"], &["rate"]])? {
                    0 => Dist::exponential(p.duration("mean")?),
                    _ => {
                        let rate = p.rate("rate")?;
                        if rate <= 0.0 {
                            return err("exp: rate must be positive, e.g. exp(rate=200/s)");
                        }
                        Dist::exponential(1.0 / rate)
                    }
                }
            }
            Family::Const => {
                let p = self.resolve(&["value"], &[("value", &[])])?;
                p.form(&[&["value"]])?;
                Dist::constant(p.duration("value")?)
            }
            Family::Uniform => {
                let p = self.resolve(&["min", "max"], &[("min", &[]), ("max", &[])])?;
                p.form(&[&["min", "max"]])?;
                Dist::uniform(p.duration("min")?, p.duration("max")?)
            }
            Family::Normal => {
                let p = self.resolve(&[], &[("mean", &["mu"]), ("sd", &["sigma", "stddev"])])?;
                p.form(&[&["mean", "sd"]])?;
                Dist::normal(p.duration("mean")?, p.duration("sd")?)
            }
            Family::Lognormal => {
                let p = self.resolve(&[], &[("mean", &[]), ("cv", &[]), ("median", &["p50"]), ("p99", &[])])?;
                match p.form(&[&["mean", "cv"], &["median", "p99"]])? {
                    0 => Dist::lognormal(p.duration("mean")?, p.number("cv")?),
                    _ => Dist::lognormal_quantiles(p.duration("median")?, p.duration("p99")?),
                }
            }
            Family::Gamma => {
                let p = self.resolve(&[], &[("mean", &[]), ("cv", &[]), ("shape", &["k"]), ("scale", &["theta"])])?;
                match p.form(&[&["mean", "cv"], &["shape", "scale"]])? {
                    0 => Dist::gamma_mean_cv(p.duration("mean")?, p.number("cv")?),
                    _ => Dist::gamma(p.number("shape")?, p.duration("scale")?),
                }
            }
            Family::Erlang => {
                let p = self.resolve(&[], &[("k", &["shape", "phases"]), ("mean", &[])])?;
                p.form(&[&["k", "mean"]])?;
                let k = p.number("k")?;
                if !(k >= 1.0 && k.fract() == 0.0 && k <= f64::from(u32::MAX)) {
                    return err(format!(
                        "erlang: k={k} must be a whole number >= 1, e.g. erlang(k=3, mean=30ms); \
                         for other shapes use gamma(shape=.., scale=..)"
                    ));
                }
                Dist::erlang(k as u32, p.duration("mean")?)
            }
            Family::Weibull => {
                let p = self.resolve(&[], &[("shape", &["k"]), ("scale", &["lambda"]), ("mean", &[])])?;
                match p.form(&[&["shape", "scale"], &["shape", "mean"]])? {
                    0 => Dist::weibull(p.number("shape")?, p.duration("scale")?),
                    _ => Dist::weibull_mean(p.number("shape")?, p.duration("mean")?),
                }
            }
            Family::Pareto => {
                let p = self.resolve(&[], &[("alpha", &["shape"]), ("min", &["scale", "xm"])])?;
                p.form(&[&["alpha", "min"]])?;
                Dist::pareto(p.number("alpha")?, p.duration("min")?)
            }
            Family::Hyperexp => {
                let p =
                    self.resolve(&[], &[("p", &["p1"]), ("mean1", &[]), ("mean2", &[]), ("mean", &[]), ("cv", &[])])?;
                match p.form(&[&["p", "mean1", "mean2"], &["mean", "cv"]])? {
                    0 => Dist::hyperexp(p.number("p")?, p.duration("mean1")?, p.duration("mean2")?),
                    _ => Dist::hyperexp_mean_cv(p.duration("mean")?, p.number("cv")?),
                }
            }
            Family::Empirical => self.build_empirical(),
        }
    }

    fn build_empirical(&self) -> Result<Dist, DistError> {
        let usage = self.usage;
        match (self.positional.is_empty(), self.named.is_empty()) {
            (true, true) => err(format!("empirical needs at least one sample or percentile point: write e.g. {usage}")),
            (false, false) => err(format!(
                "empirical takes either a list of samples or percentile points, not both: write e.g. {usage}"
            )),
            (false, true) => {
                let samples = self
                    .positional
                    .iter()
                    .map(|v| parse_duration(v).map_err(|e| DistError(format!("empirical: sample {e}"))))
                    .collect::<Result<Vec<f64>, DistError>>()?;
                Dist::empirical(&samples)
            }
            (true, false) => {
                let mut points = Vec::with_capacity(self.named.len());
                for (key, written, value) in &self.named {
                    let pct =
                        key.strip_prefix('p').and_then(|n| n.parse::<f64>().ok()).filter(|p| (0.0..=100.0).contains(p));
                    let Some(pct) = pct else {
                        return err(format!(
                            "empirical: unknown argument \"{written}\": use percentile points \
                             p0=, p50=, p99.9=, p100= (percent between 0 and 100), e.g. {usage}"
                        ));
                    };
                    let seconds = parse_duration(value).map_err(|e| DistError(format!("empirical: {written}: {e}")))?;
                    points.push((pct, seconds));
                }
                Dist::empirical_percentiles(&points)
            }
        }
    }
}

/// Resolved arguments: canonical key -> text value.
struct Params<'a> {
    family: &'static str,
    usage: &'static str,
    values: Vec<(&'static str, &'a str)>,
}

impl<'a> Params<'a> {
    fn get(&self, key: &str) -> Option<&'a str> {
        self.values.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
    }

    /// Index of the form whose keys are exactly the ones given.
    fn form(&self, forms: &[&[&str]]) -> Result<usize, DistError> {
        let matches = |form: &[&str]| form.len() == self.values.len() && form.iter().all(|k| self.get(k).is_some());
        if let Some(i) = forms.iter().position(|f| matches(f)) {
            return Ok(i);
        }
        let described: Vec<String> =
            forms.iter().map(|form| and_list(&form.iter().map(|k| format!("{k}=")).collect::<Vec<_>>())).collect();
        let sep = if forms.iter().all(|f| f.len() == 1) { " or " } else { ", or " };
        let need = match described.as_slice() {
            [one] => one.clone(),
            [init @ .., last] => format!("either {}{sep}{last}", init.join(sep)),
            [] => String::new(),
        };
        // Every argument of some form is present, plus others: forms are mixed.
        let mixed = forms.iter().any(|form| form.iter().all(|k| self.get(k).is_some()));
        let mixed = if mixed { ", not a mix of them" } else { "" };
        err(format!("{} needs {need}{mixed}: write e.g. {}", self.family, self.usage))
    }

    fn text(&self, key: &str) -> Result<&'a str, DistError> {
        self.get(key).ok_or_else(|| DistError(format!("{}: missing {key}=: write e.g. {}", self.family, self.usage)))
    }

    fn duration(&self, key: &str) -> Result<f64, DistError> {
        parse_duration(self.text(key)?).map_err(|e| DistError(format!("{}: {key}: {e}", self.family)))
    }

    fn rate(&self, key: &str) -> Result<f64, DistError> {
        parse_rate(self.text(key)?).map_err(|e| DistError(format!("{}: {key}: {e}", self.family)))
    }

    fn number(&self, key: &str) -> Result<f64, DistError> {
        let text = self.text(key)?;
        match text.parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(v),
            Ok(_) => err(format!("{}: {key}={text} must be a finite number, e.g. {}", self.family, self.usage)),
            Err(_) if parse_duration(text).is_ok() => err(format!(
                "{}: {key} is a plain number without a unit (got \"{text}\"), e.g. {}",
                self.family, self.usage
            )),
            Err(_) => err(format!("{}: {key}=\"{text}\" is not a number, e.g. {}", self.family, self.usage)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dist::tests::draw;
    use rand::SeedableRng;
    use rand_xoshiro::Xoshiro256PlusPlus;

    #[test]
    fn parsing_is_tolerant_of_case_and_whitespace() {
        let d = Dist::parse("  EXP ( Mean = 5 ms )  ").unwrap();
        assert_eq!(d.mean(), 0.005);
        let g = Dist::parse("Gamma(SHAPE=2,scale=5ms)").unwrap();
        assert!((g.mean() - 0.01).abs() < 1e-15);
        let u = Dist::parse("uniform( 1ms ,max= 5ms )").unwrap();
        assert!((u.mean() - 0.003).abs() < 1e-15);
        assert!(Dist::parse("HyperExponential(mean=10ms, cv=2)").is_ok());
    }

    fn error_of(text: &str) -> String {
        match Dist::parse(text) {
            Ok(d) => panic!("{text} should be refused, got {d}"),
            Err(e) => e.to_string(),
        }
    }

    #[track_caller]
    fn assert_error(text: &str, fragments: &[&str]) {
        let e = error_of(text);
        for f in fragments {
            assert!(e.contains(f), "error for {text:?} is {e:?}, expected it to mention {f:?}");
        }
    }

    #[test]
    fn parse_errors_explain_the_fix() {
        assert_error(
            "expo(5ms)",
            &["unknown distribution \"expo\": use exp, const, uniform, normal, lognormal, gamma, \
                 erlang, weibull, pareto, hyperexp or empirical"],
        );
        assert_error("lognormal(mean=20ms)", &["lognormal needs either mean= and cv=, or median= and p99="]);
        assert_error("lognormal(mean=20ms, p99=100ms)", &["lognormal needs either"]);
        assert_error("lognormal(median=10ms, p99=5ms)", &["p99", "greater than median"]);
        assert_error("exp(0ms)", &["exp: mean must be positive"]);
        assert_error("exp(rate=0/s)", &["exp: rate must be positive"]);
        assert_error("exp(5)", &["exp: mean", "has no unit", "\"5s\""]);
        assert_error("exp(avg=5ms)", &["unknown argument \"avg\"", "mean= or rate="]);
        assert_error("exp(5ms", &["missing closing parenthesis"]);
        assert_error("exp 5ms", &["parentheses", "exp(5ms)"]);
        assert_error("exp(mean=5ms, rate=200/s)", &["exp needs either mean= or rate=, not a mix"]);
        assert_error("exp()", &["exp needs either mean= or rate=: write e.g. exp(5ms)"]);
        assert_error("exp(5ms, 6ms)", &["too many arguments"]);
        assert_error("exp(5ms) extra", &["after the closing parenthesis"]);
        assert_error("exp(5ms,)", &["empty argument"]);
        assert_error("exp(mean=)", &["needs a name and a value"]);
        assert_error("exp(mean=5ms, mean=6ms)", &["given twice"]);
        assert_error("exp(5ms, mean=6ms)", &["given twice"]);
        assert_error("", &["empty distribution"]);
        assert_error("(5ms)", &["missing distribution name"]);
        assert_error("exp((5ms))", &["parenthesis"]);
        assert_error("const(-1ms)", &["negative"]);
        assert_error("const(5 parsecs)", &["unknown time unit"]);
        assert_error("uniform(5ms, 1ms)", &["must not exceed max", "uniform(min=1ms, max=5ms)"]);
        assert_error("uniform(1ms)", &["uniform needs min= and max="]);
        assert_error("normal(mean=0ms, sd=2ms)", &["normal: mean must be positive"]);
        assert_error("normal(mean=10ms, sd=0ms)", &["sd must be positive", "const("]);
        assert_error("normal(10ms, 2ms)", &["named arguments"]);
        assert_error("gamma(mean=10ms)", &["gamma needs either mean= and cv=, or shape= and scale="]);
        assert_error("gamma(mean=10ms, cv=0)", &["cv must be positive"]);
        assert_error("gamma(shape=2ms, scale=5ms)", &["plain number"]);
        assert_error("gamma(shape=two, scale=5ms)", &["not a number"]);
        assert_error("gamma(shape=inf, scale=5ms)", &["finite"]);
        assert_error("gamma(shape=NaN, scale=5ms)", &["finite"]);
        assert_error("erlang(k=2.5, mean=30ms)", &["whole number", "gamma("]);
        assert_error("erlang(k=0, mean=30ms)", &["whole number"]);
        assert_error("erlang(mean=30ms)", &["erlang needs k= and mean="]);
        assert_error("weibull(shape=1.5)", &["weibull needs"]);
        assert_error("weibull(shape=0.001, scale=1ms)", &["too small"]);
        assert_error("pareto(alpha=1, min=1ms)", &["infinite mean", "alpha > 1"]);
        assert_error("pareto(alpha=0.5, min=1ms)", &["infinite mean"]);
        assert_error("pareto(alpha=2.5, min=0ms)", &["min must be positive"]);
        assert_error("pareto(alpha=2.5, minimum=1ms)", &["unknown argument \"minimum\"", "alpha= or min="]);
        assert_error("hyperexp(mean=10ms, cv=0.5)", &["cv >= 1", "gamma("]);
        assert_error("hyperexp(p=1.5, mean1=1ms, mean2=50ms)", &["probability"]);
        assert_error("hyperexp(p=0.9, mean1=1ms)", &["hyperexp needs either p=, mean1= and mean2=, or mean= and cv="]);
        assert_error("empirical()", &["at least one sample"]);
        assert_error("empirical(1ms, p50=2ms)", &["not both"]);
        assert_error("empirical(1ms, 2)", &["no unit"]);
        assert_error("empirical(p0=1ms, p50=10ms)", &["p100= (the maximum) are required"]);
        assert_error("empirical(p50=10ms, p100=20ms)", &["p0= (the minimum)"]);
        assert_error("empirical(p0=1ms, p50=30ms, p90=10ms, p100=40ms)", &["must not decrease", "p90=10ms"]);
        assert_error("empirical(p0=1ms, p50=10ms, p50.0=11ms, p100=40ms)", &["given twice"]);
        assert_error("empirical(p0=1ms, p150=10ms, p100=40ms)", &["unknown argument \"p150\""]);
        assert_error("empirical(q0=1ms, p100=40ms)", &["unknown argument \"q0\"", "p0="]);
        assert_error("banana", &["unknown distribution \"banana\""]);
    }

    #[test]
    fn garbage_never_panics() {
        let fixed = [
            "(",
            ")",
            "()",
            ")(",
            "exp(",
            "exp)",
            "exp(()",
            "exp(=)",
            "exp(,)",
            "exp(=5ms)",
            "exp(mean==5ms)",
            "exp(mean=5ms=)",
            "empirical(p=1ms)",
            "empirical(p=)",
            "empirical(pp0=1ms)",
            "µ(5ms)",
            "exp(5µs)",
            "exp(5 µ)",
            "exp(1e309s)",
            "exp(-0ms)",
            "exp(rate=-1/s)",
            "const(1e-400s)",
            "erlang(k=1e20, mean=1s)",
            "erlang(k=-1, mean=1s)",
            "empirical(p-0=1ms, p100=2ms)",
            "empirical(p0=1ms, p1e2=2ms)",
            "empirical(pnan=1ms)",
            "weibull(shape=1e-300, mean=1s)",
            "weibull(shape=1e300, scale=1s)",
            "pareto(alpha=1e300, min=1s)",
            "hyperexp(mean=1e-300s, cv=1)",
            "uniform(,)",
            "exp(5ms))",
            "normal(mean=1e300s, sd=1e-300s)",
            "\u{0}",
            "exp(\u{0})",
            "𝔢xp(5ms)",
        ];
        for text in fixed {
            if let Ok(d) = Dist::parse(text) {
                assert!(d.mean().is_finite(), "{text}");
                assert!(draw(&d, 10, 100).iter().all(|x| x.is_finite() && *x >= 0.0), "{text}");
            }
        }
        // Random strings over the syntax's alphabet.
        use rand::RngExt;
        let alphabet: Vec<char> = "expconstuniformalgwbhyrkdip0123456789.e-+_(),= /smµ%".chars().collect();
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(11);
        for _ in 0..50_000 {
            let len = rng.random_range(0..24);
            let mut s: String = (0..len).map(|_| alphabet[rng.random_range(0..alphabet.len())]).collect();
            if rng.random_bool(0.5) {
                let name = ["exp(", "uniform(", "empirical(p0=", "gamma(shape=", "hyperexp("][rng.random_range(0..5)];
                s = format!("{name}{s}");
            }
            if let Ok(d) = Dist::parse(&s) {
                let mut r = Xoshiro256PlusPlus::seed_from_u64(12);
                for _ in 0..10 {
                    let x = d.sample(&mut r);
                    assert!(x.is_finite() && x >= 0.0, "{s}");
                }
            }
        }
    }

    #[test]
    fn error_type_is_usable() {
        let e: DistError = "nope(1ms)".parse::<Dist>().unwrap_err();
        assert_eq!(e.clone(), e);
        let boxed: Box<dyn std::error::Error> = Box::new(e);
        assert!(boxed.to_string().contains("nope"));
    }
}
