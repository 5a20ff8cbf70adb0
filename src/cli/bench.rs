//! `petition bench`: the speed and memory figures, on fresh databases.

use clap::Args;
use petition::bench;

#[derive(Args)]
pub(crate) struct Bench {
    /// A small run that only checks every measurement works.
    #[arg(long)]
    quick: bool,
    /// Only these measurements (repeatable); all by default.
    #[arg(long, value_enum)]
    only: Vec<bench::Part>,
}

impl Bench {
    pub(super) async fn run(self) -> anyhow::Result<()> {
        let scale = if self.quick {
            bench::Scale::QUICK
        } else {
            bench::Scale::FULL
        };
        let postgres = std::env::var(petition::test_kit::database::POSTGRES_URL_VARIABLE).ok();
        bench::run(scale, &self.only, postgres.as_deref(), |name, value| {
            println!("{name}={value}")
        })
        .await
    }
}
