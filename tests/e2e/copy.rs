//! COPY ... TO STDOUT, as psql's `\copy ... to` sends it: text and CSV, NULLs and escapes,
//! and clear refusals for what Aloe does not do.

use crate::harness::Server;

#[test]
fn psql_copy_to_stdout_in_text_and_csv() {
    let server = Server::start();
    let text = server.psql(&[
        "-c",
        "\\copy (SELECT product_id, name, NULL::text AS missing, 'a\tb' AS t FROM gen.products ORDER BY 1 LIMIT 2) TO STDOUT",
    ]);
    assert!(
        text.status.success(),
        "{}",
        String::from_utf8_lossy(&text.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&text.stdout),
        "1\tNourishing Oat Cleanser\t\\N\ta\\tb\n2\tRepair Calendula Toner\t\\N\ta\\tb\n"
    );
    let csv = server.psql(&[
        "-c",
        "\\copy (SELECT product_id, name, 'say \"hi\", twice' AS quote FROM gen.products ORDER BY 1 LIMIT 1) TO STDOUT WITH CSV HEADER",
    ]);
    assert!(
        csv.status.success(),
        "{}",
        String::from_utf8_lossy(&csv.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&csv.stdout),
        "product_id,name,quote\n1,Nourishing Oat Cleanser,\"say \"\"hi\"\", twice\"\n"
    );
    let table = server.psql(&[
        "-c",
        "COPY gen.products (product_id) TO STDOUT WITH (FORMAT csv, HEADER true)",
    ]);
    let lines = String::from_utf8_lossy(&table.stdout).lines().count();
    assert_eq!(lines, 121, "header and 120 products");
}

#[test]
fn unsupported_copy_forms_are_refused_with_0a000() {
    let server = Server::start();
    for sql in [
        "COPY (SELECT 1) TO STDOUT BINARY",
        "COPY gen.products FROM STDIN",
    ] {
        let out = server.psql(&["-c", "\\set VERBOSITY verbose", "-c", sql]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("0A000"), "{sql}: {err}");
    }
}
