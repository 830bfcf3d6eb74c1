//! The shop's calendar: how busy a day is (weekday rhythm, paydays, holidays) and which sales
//! period it falls in. Both traffic and ad spend follow it.

use chrono::{Datelike, NaiveDate, Weekday};

/// A sales period with a sitewide discount.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SalePeriod {
    /// Code shoppers enter.
    pub code: &'static str,
    /// Its name.
    pub name: &'static str,
    /// Discount in percent.
    pub discount_pct: u8,
}

/// Demand relative to an average day (1.0): weekly rhythm times the season.
pub fn demand(day: NaiveDate) -> f64 {
    let weekly = match day.weekday() {
        Weekday::Mon => 1.08,
        Weekday::Tue => 1.02,
        Weekday::Wed => 1.0,
        Weekday::Thu => 0.98,
        Weekday::Fri => 0.9,
        Weekday::Sat => 0.86,
        Weekday::Sun => 1.16,
    };
    let payday = if day.day() >= 25 || day.day() <= 2 {
        1.08
    } else {
        1.0
    };
    let season = match sale_period(day) {
        Some(p) if p.code == "BLACKFRIDAY" => 2.6,
        Some(p) if p.code == "CYBERMONDAY" => 2.2,
        Some(_) => 1.5,
        None => christmas_run_up(day) * valentines_run_up(day) * summer_dip(day),
    };
    weekly * payday * season
}

/// The sitewide sale running on `day`, if any.
pub fn sale_period(day: NaiveDate) -> Option<SalePeriod> {
    let black_friday = black_friday(day.year());
    if day == black_friday || day == black_friday.succ_opt()? {
        return Some(SalePeriod {
            code: "BLACKFRIDAY",
            name: "Black Friday",
            discount_pct: 25,
        });
    }
    if day == black_friday + chrono::Days::new(3) {
        return Some(SalePeriod {
            code: "CYBERMONDAY",
            name: "Cyber Monday",
            discount_pct: 20,
        });
    }
    let (m, d) = (day.month(), day.day());
    if m == 7 && (1..=14).contains(&d) {
        return Some(SalePeriod {
            code: "SUMMER15",
            name: "Summer sale",
            discount_pct: 15,
        });
    }
    if m == 1 && (2..=10).contains(&d) {
        return Some(SalePeriod {
            code: "NEWYEAR10",
            name: "New year sale",
            discount_pct: 10,
        });
    }
    None
}

/// The fourth Friday of November: Black Friday.
pub fn black_friday(year: i32) -> NaiveDate {
    NaiveDate::from_weekday_of_month_opt(year, 11, Weekday::Fri, 4)
        .expect("November has four Fridays")
}

fn christmas_run_up(day: NaiveDate) -> f64 {
    match (day.month(), day.day()) {
        (12, 1..=20) => 1.35 + f64::from(day.day()) * 0.01,
        (12, 21..=23) => 1.1,
        (12, 24..=26) => 0.55,
        _ => 1.0,
    }
}

fn valentines_run_up(day: NaiveDate) -> f64 {
    match (day.month(), day.day()) {
        (2, 7..=13) => 1.25,
        _ => 1.0,
    }
}

fn summer_dip(day: NaiveDate) -> f64 {
    match day.month() {
        8 => 0.85,
        _ => 1.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn black_friday_is_the_busiest_day_of_november() {
        assert_eq!(black_friday(2025), d(2025, 11, 28));
        let bf = demand(d(2025, 11, 28));
        for day in d(2025, 11, 1).iter_days().take(30) {
            assert!(demand(day) <= bf, "{day}");
        }
        assert_eq!(sale_period(d(2025, 12, 1)).unwrap().code, "CYBERMONDAY");
        assert!(sale_period(d(2025, 10, 15)).is_none());
    }

    #[test]
    fn sundays_beat_saturdays() {
        assert!(demand(d(2025, 10, 12)) > demand(d(2025, 10, 11)));
    }
}
