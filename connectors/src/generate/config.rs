//! How big and which period the synthetic business is: the `[generate]` part of `aloe.toml`.

use chrono::NaiveDate;
use serde::Deserialize;

/// Size, period and seed of the generated business.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GenerateConfig {
    /// The same seed always gives the same business, row for row.
    pub seed: u64,
    /// First day of activity.
    pub start_date: NaiveDate,
    /// Last day of activity (inclusive).
    pub end_date: NaiveDate,
    /// Web events on an average day (seasonality moves each day around it).
    pub events_per_day: u64,
    /// Customers who exist before the first day.
    pub initial_customers: u64,
}

impl Default for GenerateConfig {
    /// A quarter that ends with Black Friday and Cyber Monday, at a size that generates in
    /// seconds: what a newcomer's first query sees.
    fn default() -> Self {
        Self {
            seed: 42,
            start_date: NaiveDate::from_ymd_opt(2025, 9, 1).expect("valid date"),
            end_date: NaiveDate::from_ymd_opt(2025, 12, 1).expect("valid date"),
            events_per_day: 20_000,
            initial_customers: 5_000,
        }
    }
}

impl GenerateConfig {
    /// Number of days in the period.
    pub fn days(&self) -> i64 {
        (self.end_date - self.start_date).num_days() + 1
    }

    /// The period's days, first to last.
    pub fn dates(&self) -> impl Iterator<Item = NaiveDate> + '_ {
        self.start_date
            .iter_days()
            .take(self.days().max(0) as usize)
    }

    /// Checks that the period and sizes make sense, naming the bad key.
    pub fn validate(&self) -> Result<(), String> {
        if self.end_date < self.start_date {
            return Err(format!(
                "generate.end_date {} is before generate.start_date {}",
                self.end_date, self.start_date
            ));
        }
        if self.days() > 3_660 {
            return Err(format!(
                "generate covers {} days; at most ten years are supported",
                self.days()
            ));
        }
        if self.events_per_day == 0 {
            return Err("generate.events_per_day must be at least 1".into());
        }
        Ok(())
    }
}
