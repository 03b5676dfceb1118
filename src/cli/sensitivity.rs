pub(crate) fn sensitivity(_args: super::args::SensitivityArgs) -> anyhow::Result<()> {
    todo!()
}
