//! `capsim diagram`: the model as an architecture diagram, in the format
//! the output file's extension (or `--format`) names; DOT on standard output
//! without `-o`.

use std::io::Write;

use capsim::charts::diagram::{Diagram, Format};
use capsim::files::FileError;
use capsim::model;

use super::args::{DiagramArgs, DiagramFormat};

fn format_of(f: DiagramFormat) -> Format {
    match f {
        DiagramFormat::Svg => Format::Svg,
        DiagramFormat::Png => Format::Png,
        DiagramFormat::Dot => Format::Dot,
        DiagramFormat::Mermaid => Format::Mermaid,
    }
}

/// `capsim diagram`.
pub(crate) fn diagram(args: DiagramArgs) -> anyhow::Result<()> {
    let path = &args.model.model;
    let format = match (args.format, &args.output) {
        (Some(f), _) => format_of(f),
        (None, None) => Format::Dot,
        (None, Some(out)) => Format::from_path(out).ok_or_else(|| {
            FileError::Refused(format!(
                "cannot tell the diagram's format from `{}`: name the file .svg, .png, .dot or .mmd, or pass --format",
                out.display()
            ))
        })?,
    };
    if let Some(out) = &args.output {
        let same = |a: &std::path::Path, b: &std::path::Path| match (a.canonicalize(), b.canonicalize()) {
            (Ok(a), Ok(b)) => a == b,
            _ => false,
        };
        if same(out, path) {
            return Err(FileError::Refused(format!(
                "`{}` is the model itself: name another file for the diagram, e.g. -o diagram.svg",
                out.display()
            ))
            .into());
        }
        if out.is_dir() {
            return Err(FileError::Refused(format!(
                "`{}` is a folder: name a file for the diagram, e.g. -o {}/diagram.svg",
                out.display(),
                out.display()
            ))
            .into());
        }
    }
    let net = model::load(path, &args.model.overrides)?;
    for w in &net.warnings {
        eprintln!("warning: {w}");
    }
    let diagram = Diagram::of(&net, &path.display().to_string());
    match &args.output {
        Some(out) => diagram.write(out, format)?,
        None => {
            let text = match format {
                Format::Dot => diagram.dot(),
                Format::Mermaid => diagram.mermaid(),
                Format::Svg => diagram.svg()?.0,
                Format::Png => {
                    return Err(FileError::Refused(
                        "a PNG is not written to the terminal: name a file, e.g. -o diagram.png".to_string(),
                    )
                    .into());
                }
            };
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(text.as_bytes())?;
            stdout.flush()?;
        }
    }
    Ok(())
}
