//! The product catalogue: skincare, haircare, make-up and body products with price, cost,
//! launch date and a popularity that follows a power law (a few products sell most).

use chrono::{Days, NaiveDate};
use rand::Rng;
use rand::seq::SliceRandom;

use super::config::GenerateConfig;
use super::rng::{Stream, stream};

/// One product.
#[derive(Debug, Clone, PartialEq)]
pub struct Product {
    /// Product id, from 1.
    pub id: i64,
    /// Stock-keeping unit.
    pub sku: String,
    /// Name, e.g. "Calming Aloe Serum".
    pub name: String,
    /// skincare, haircare, make-up or body.
    pub category: &'static str,
    /// serum, shampoo, mascara, ...
    pub subcategory: &'static str,
    /// Price in EUR, incl. VAT.
    pub price: f64,
    /// Cost of goods in EUR.
    pub cost: f64,
    /// Day it went on sale; products launched inside the period sell from then on.
    pub launch_date: NaiveDate,
    /// Relative popularity; the weights of all products sum to 1.
    pub weight: f64,
}

/// (category, subcategory, typical price in EUR)
const LINES: [(&str, &str, f64); 20] = [
    ("skincare", "cleanser", 16.0),
    ("skincare", "toner", 18.0),
    ("skincare", "serum", 34.0),
    ("skincare", "moisturiser", 29.0),
    ("skincare", "face mask", 22.0),
    ("skincare", "eye cream", 31.0),
    ("skincare", "sunscreen", 24.0),
    ("haircare", "shampoo", 14.0),
    ("haircare", "conditioner", 15.0),
    ("haircare", "hair oil", 21.0),
    ("haircare", "hair mask", 19.0),
    ("make-up", "foundation", 32.0),
    ("make-up", "mascara", 19.0),
    ("make-up", "lipstick", 17.0),
    ("make-up", "blush", 21.0),
    ("make-up", "concealer", 20.0),
    ("body", "body lotion", 17.0),
    ("body", "shower gel", 9.0),
    ("body", "body scrub", 18.0),
    ("body", "hand cream", 11.0),
];

const INGREDIENTS: [&str; 12] = [
    "Aloe",
    "Rosehip",
    "Green Tea",
    "Shea",
    "Argan",
    "Calendula",
    "Jojoba",
    "Lavender",
    "Oat",
    "Vitamin C",
    "Hyaluronic",
    "Chamomile",
];

const CLAIMS: [&str; 8] = [
    "Calming",
    "Hydrating",
    "Radiance",
    "Nourishing",
    "Pure",
    "Gentle",
    "Repair",
    "Fresh",
];

/// How many products the catalogue has.
pub const PRODUCTS: usize = 120;

/// The catalogue for `config`: the same seed gives the same products.
pub fn products(config: &GenerateConfig) -> Vec<Product> {
    let mut rng = stream(config.seed, Stream::Catalogue, &[]);
    let mut ranks: Vec<usize> = (0..PRODUCTS).collect();
    ranks.shuffle(&mut rng);
    // Zipf with exponent 1.1 over popularity ranks.
    let raw: Vec<f64> = ranks
        .iter()
        .map(|r| 1.0 / ((*r + 1) as f64).powf(1.1))
        .collect();
    let total: f64 = raw.iter().sum();
    let mut taken = std::collections::HashSet::new();
    (0..PRODUCTS)
        .map(|i| {
            let (category, subcategory, typical) = LINES[i % LINES.len()];
            let name = loop {
                let name = format!(
                    "{} {} {}",
                    CLAIMS[rng.random_range(0..CLAIMS.len())],
                    INGREDIENTS[rng.random_range(0..INGREDIENTS.len())],
                    title(subcategory)
                );
                if taken.insert(name.clone()) {
                    break name;
                }
            };
            let price = round_price(typical * rng.random_range(0.75..1.4));
            let cost = (price * rng.random_range(0.22..0.42) * 100.0).round() / 100.0;
            // Four in five products predate the period; the rest launch during it.
            let launch_date = if rng.random_bool(0.8) {
                config.start_date - Days::new(rng.random_range(30..1_500))
            } else {
                config.start_date + Days::new(rng.random_range(0..config.days().max(1) as u64))
            };
            Product {
                id: i as i64 + 1,
                sku: format!("{}-{:04}", &category[..2].to_ascii_uppercase(), i + 1),
                name,
                category,
                subcategory,
                price,
                cost,
                launch_date,
                weight: raw[i] / total,
            }
        })
        .collect()
}

/// Prices end in .95 or .50, as shops set them.
fn round_price(p: f64) -> f64 {
    let whole = p.floor();
    if p - whole < 0.5 {
        whole + 0.5
    } else {
        whole + 0.95
    }
}

fn title(s: &str) -> String {
    s.split(' ')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect::<String>())
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_few_products_sell_most() {
        let p = products(&GenerateConfig::default());
        assert_eq!(p.len(), PRODUCTS);
        let mut w: Vec<f64> = p.iter().map(|p| p.weight).collect();
        w.sort_by(|a, b| b.total_cmp(a));
        let top_tenth: f64 = w[..PRODUCTS / 10].iter().sum();
        assert!(
            top_tenth > 0.4,
            "top 10% of products carry {top_tenth:.2} of sales"
        );
        assert!((w.iter().sum::<f64>() - 1.0).abs() < 1e-9);
        assert!(p.iter().all(|p| p.cost < p.price));
        let names: std::collections::HashSet<_> = p.iter().map(|p| &p.name).collect();
        assert_eq!(names.len(), PRODUCTS);
    }

    #[test]
    fn the_seed_decides() {
        let a = products(&GenerateConfig::default());
        assert_eq!(a, products(&GenerateConfig::default()));
        let other = GenerateConfig {
            seed: 7,
            ..Default::default()
        };
        assert_ne!(a, products(&other));
    }
}
