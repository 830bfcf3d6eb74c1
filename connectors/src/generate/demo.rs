//! A small deterministic demo data set (products, customers, orders) so that a fresh server
//! answers queries at once, before any lake or generator is configured.

use std::sync::Arc;

use arrow::array::{ArrayRef, Date32Array, Float64Array, Int64Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use datafusion::catalog::{MemorySchemaProvider, SchemaProvider};
use datafusion::datasource::MemTable;
use datafusion::error::Result;

/// Seed of the demo data: the same seed always yields the same rows.
pub const DEMO_SEED: u64 = 42;

const CATEGORIES: [&str; 4] = ["skincare", "haircare", "make-up", "body"];
const PRODUCT_NAMES: [&str; 24] = [
    "Aloe Day Cream",
    "Rosehip Face Oil",
    "Green Tea Toner",
    "Shea Night Balm",
    "Argan Shampoo",
    "Nettle Conditioner",
    "Coconut Hair Mask",
    "Tea Tree Scalp Serum",
    "Mineral Foundation",
    "Beetroot Lip Tint",
    "Charcoal Mascara",
    "Rice Powder Blush",
    "Lavender Body Lotion",
    "Oat Shower Gel",
    "Coffee Body Scrub",
    "Calendula Hand Cream",
    "Vitamin C Serum",
    "Hyaluronic Eye Gel",
    "Clay Face Mask",
    "Chamomile Cleanser",
    "Jojoba Hair Oil",
    "Cocoa Butter Stick",
    "Mint Foot Balm",
    "Sea Salt Bath Soak",
];
const COUNTRIES: [&str; 6] = ["DE", "FR", "NL", "AT", "IT", "ES"];
const CHANNELS: [&str; 6] = ["search", "social", "video", "display", "email", "affiliate"];

/// A tiny, fast, deterministic pseudo-random sequence (SplitMix64); the demo needs
/// reproducible variety, not statistical quality.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Days since 1970-01-01 of 2025-01-01, the first day of the demo quarter.
const START_DAY: i32 = 20_089;

fn products() -> Result<RecordBatch> {
    let n = PRODUCT_NAMES.len();
    let ids: Vec<i64> = (1..=n as i64).collect();
    let names: Vec<&str> = PRODUCT_NAMES.to_vec();
    let categories: Vec<&str> = (0..n).map(|i| CATEGORIES[(i / 4) % 4]).collect();
    let prices: Vec<f64> = (0..n).map(|i| 9.9 + (i as f64 * 3.5) % 40.0).collect();
    let costs: Vec<f64> = prices
        .iter()
        .map(|p| (p * 0.35 * 100.0).round() / 100.0)
        .collect();
    let launched: Vec<i32> = (0..n).map(|i| START_DAY - 400 + (i as i32) * 15).collect();
    let schema = Arc::new(Schema::new(vec![
        Field::new("product_id", DataType::Int64, false),
        Field::new("name", DataType::Utf8, false),
        Field::new("category", DataType::Utf8, false),
        Field::new("price", DataType::Float64, false),
        Field::new("cost", DataType::Float64, false),
        Field::new("launch_date", DataType::Date32, false),
    ]));
    let columns: Vec<ArrayRef> = vec![
        Arc::new(Int64Array::from(ids)),
        Arc::new(StringArray::from(names)),
        Arc::new(StringArray::from(categories)),
        Arc::new(Float64Array::from(prices)),
        Arc::new(Float64Array::from(costs)),
        Arc::new(Date32Array::from(launched)),
    ];
    Ok(RecordBatch::try_new(schema, columns)?)
}

fn customers(rng: &mut SplitMix, count: usize) -> Result<RecordBatch> {
    let ids: Vec<i64> = (1..=count as i64).collect();
    let signup: Vec<i32> = (0..count)
        .map(|_| START_DAY - rng.below(365) as i32)
        .collect();
    let country: Vec<&str> = (0..count)
        .map(|_| COUNTRIES[rng.below(COUNTRIES.len() as u64) as usize])
        .collect();
    let channel: Vec<&str> = (0..count)
        .map(|_| CHANNELS[rng.below(CHANNELS.len() as u64) as usize])
        .collect();
    let schema = Arc::new(Schema::new(vec![
        Field::new("customer_id", DataType::Int64, false),
        Field::new("signup_date", DataType::Date32, false),
        Field::new("country", DataType::Utf8, false),
        Field::new("acquisition_channel", DataType::Utf8, false),
    ]));
    let columns: Vec<ArrayRef> = vec![
        Arc::new(Int64Array::from(ids)),
        Arc::new(Date32Array::from(signup)),
        Arc::new(StringArray::from(country)),
        Arc::new(StringArray::from(channel)),
    ];
    Ok(RecordBatch::try_new(schema, columns)?)
}

fn orders(rng: &mut SplitMix, count: usize, customers: usize) -> Result<RecordBatch> {
    let n_products = PRODUCT_NAMES.len() as u64;
    let ids: Vec<i64> = (1..=count as i64).collect();
    let customer: Vec<i64> = (0..count)
        .map(|_| 1 + rng.below(customers as u64) as i64)
        .collect();
    // Squaring a uniform pick skews sales towards the first products, as real shops see.
    let product: Vec<i64> = (0..count)
        .map(|_| {
            let u = rng.below(1000) as f64 / 1000.0;
            1 + (u * u * n_products as f64) as i64
        })
        .collect();
    let quantity: Vec<i64> = (0..count).map(|_| 1 + rng.below(3) as i64).collect();
    let day: Vec<i32> = (0..count)
        .map(|_| START_DAY + rng.below(90) as i32)
        .collect();
    let channel: Vec<&str> = (0..count)
        .map(|_| CHANNELS[rng.below(CHANNELS.len() as u64) as usize])
        .collect();
    let amount: Vec<f64> = product
        .iter()
        .zip(&quantity)
        .map(|(p, q)| ((9.9 + ((*p - 1) as f64 * 3.5) % 40.0) * *q as f64 * 100.0).round() / 100.0)
        .collect();
    let schema = Arc::new(Schema::new(vec![
        Field::new("order_id", DataType::Int64, false),
        Field::new("customer_id", DataType::Int64, false),
        Field::new("product_id", DataType::Int64, false),
        Field::new("quantity", DataType::Int64, false),
        Field::new("order_date", DataType::Date32, false),
        Field::new("channel", DataType::Utf8, false),
        Field::new("amount", DataType::Float64, false),
    ]));
    let columns: Vec<ArrayRef> = vec![
        Arc::new(Int64Array::from(ids)),
        Arc::new(Int64Array::from(customer)),
        Arc::new(Int64Array::from(product)),
        Arc::new(Int64Array::from(quantity)),
        Arc::new(Date32Array::from(day)),
        Arc::new(StringArray::from(channel)),
        Arc::new(Float64Array::from(amount)),
    ];
    Ok(RecordBatch::try_new(schema, columns)?)
}

fn mem_table(batch: RecordBatch) -> Result<Arc<MemTable>> {
    Ok(Arc::new(MemTable::try_new(
        batch.schema(),
        vec![vec![batch]],
    )?))
}

/// Builds the demo schema: `products` (24 rows), `customers` (500) and `orders` (2,000).
pub fn demo_schema() -> Result<Arc<dyn SchemaProvider>> {
    let mut rng = SplitMix(DEMO_SEED);
    let schema = MemorySchemaProvider::new();
    schema.register_table("products".into(), mem_table(products()?)?)?;
    schema.register_table("customers".into(), mem_table(customers(&mut rng, 500)?)?)?;
    schema.register_table("orders".into(), mem_table(orders(&mut rng, 2_000, 500)?)?)?;
    Ok(Arc::new(schema))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_rows() {
        let a = orders(&mut SplitMix(7), 50, 10).unwrap();
        let b = orders(&mut SplitMix(7), 50, 10).unwrap();
        let c = orders(&mut SplitMix(8), 50, 10).unwrap();
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn orders_reference_existing_customers_and_products() {
        let batch = orders(&mut SplitMix(1), 500, 20).unwrap();
        let customers = batch
            .column(1)
            .as_any()
            .downcast_ref::<Int64Array>()
            .unwrap();
        let products = batch
            .column(2)
            .as_any()
            .downcast_ref::<Int64Array>()
            .unwrap();
        assert!(customers.values().iter().all(|c| (1..=20).contains(c)));
        assert!(products.values().iter().all(|p| (1..=24).contains(p)));
    }
}
