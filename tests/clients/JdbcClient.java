// Aloe through pgjdbc, the driver under Metabase and most JVM tools. Usage:
// java -cp postgresql.jar:. JdbcClient HOST PORT [probe]. Exits non-zero on the first failed
// check. With "probe" it runs every check and reports each instead of stopping.
import java.math.BigDecimal;
import java.sql.*;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.*;

public class JdbcClient {
    static boolean probe;
    static int failures = 0;

    interface Check { void run() throws Exception; }

    static void check(String label, Check c) {
        try {
            c.run();
            System.out.println("ok " + label);
        } catch (Throwable t) {
            failures++;
            System.out.println("FAIL " + label + ": " + t);
            if (!probe) System.exit(1);
        }
    }

    static void expect(String what, Object got, Object want) {
        if (!Objects.equals(got, want)) throw new AssertionError(what + ": got " + got + ", want " + want);
    }

    public static void main(String[] args) throws Exception {
        String url = "jdbc:postgresql://" + args[0] + ":" + args[1] + "/aloe";
        probe = args.length > 2 && args[2].equals("probe");
        Properties props = new Properties();
        props.setProperty("user", "aloe");
        try (Connection conn = DriverManager.getConnection(url, props)) {
            check("select 1 as a prepared statement", () -> {
                try (PreparedStatement ps = conn.prepareStatement("SELECT 1")) {
                    ResultSet rs = ps.executeQuery();
                    rs.next();
                    expect("value", rs.getInt(1), 1);
                }
            });
            check("session statements pgjdbc and Metabase send", () -> {
                try (Statement st = conn.createStatement()) {
                    st.execute("SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL READ UNCOMMITTED");
                    ResultSet rs = st.executeQuery("SHOW TRANSACTION ISOLATION LEVEL");
                    rs.next();
                    rs = st.executeQuery("select current_schema()");
                    rs.next();
                    expect("current_schema", rs.getString(1), "public");
                }
            });
            check("prepared statement 8 times with each parameter type", () -> {
                String sql = "SELECT ?::int4 + 1, ?::int8 * 2, ?::float8 / 2, ?::numeric(10,2), upper(?), ?::date, ?::timestamp";
                try (PreparedStatement ps = conn.prepareStatement(sql)) {
                    for (int i = 0; i < 8; i++) {
                        ps.setInt(1, i);
                        ps.setLong(2, 10L + i);
                        ps.setDouble(3, 3.0);
                        ps.setBigDecimal(4, new BigDecimal("12.50"));
                        ps.setString(5, "aloe" + i);
                        ps.setObject(6, LocalDate.of(2025, 1, 1 + i));
                        ps.setObject(7, LocalDateTime.of(2025, 1, 1, 12, i));
                        ResultSet rs = ps.executeQuery();
                        rs.next();
                        expect("int4", rs.getInt(1), i + 1);
                        expect("int8", rs.getLong(2), 2L * (10 + i));
                        expect("float8", rs.getDouble(3), 1.5);
                        expect("numeric", rs.getBigDecimal(4), new BigDecimal("12.50"));
                        expect("varchar", rs.getString(5), "ALOE" + i);
                        expect("date", rs.getObject(6, LocalDate.class), LocalDate.of(2025, 1, 1 + i));
                        expect("timestamp", rs.getObject(7, LocalDateTime.class), LocalDateTime.of(2025, 1, 1, 12, i));
                    }
                }
            });
            check("setMaxRows limits the rows", () -> {
                try (Statement st = conn.createStatement()) {
                    st.setMaxRows(7);
                    ResultSet rs = st.executeQuery("SELECT order_id FROM gen.orders ORDER BY order_id");
                    int n = 0;
                    while (rs.next()) n++;
                    expect("rows", n, 7);
                }
            });
            check("setFetchSize pages through a result in a transaction", () -> {
                conn.setAutoCommit(false);
                try (Statement st = conn.createStatement()) {
                    st.setFetchSize(100);
                    ResultSet rs = st.executeQuery("SELECT value FROM generate_series(1, 5000) AS t(value)");
                    long sum = 0;
                    while (rs.next()) sum += rs.getLong(1);
                    expect("sum", sum, 5000L * 5001 / 2);
                } finally {
                    conn.commit();
                    conn.setAutoCommit(true);
                }
            });
            check("setQueryTimeout cancels a long query with 57014", () -> {
                try (Statement st = conn.createStatement()) {
                    st.setQueryTimeout(1);
                    try {
                        st.executeQuery("SELECT count(*) FROM generate_series(1, 100000000000)");
                        throw new AssertionError("the query should have been cancelled");
                    } catch (SQLException e) {
                        expect("sqlstate", e.getSQLState(), "57014");
                    }
                }
                try (Statement st = conn.createStatement()) {
                    ResultSet rs = st.executeQuery("SELECT 2");
                    rs.next();
                    expect("usable after cancel", rs.getInt(1), 2);
                }
            });
            DatabaseMetaData md = conn.getMetaData();
            check("getCatalogs", () -> {
                ResultSet rs = md.getCatalogs();
                List<String> names = new ArrayList<>();
                while (rs.next()) names.add(rs.getString(1));
                if (!names.contains("aloe")) throw new AssertionError("catalogs " + names);
            });
            check("getSchemas", () -> {
                ResultSet rs = md.getSchemas();
                List<String> names = new ArrayList<>();
                while (rs.next()) names.add(rs.getString("TABLE_SCHEM"));
                if (!names.contains("gen")) throw new AssertionError("schemas " + names);
            });
            check("getTables", () -> {
                ResultSet rs = md.getTables(null, "gen", "%", new String[] {"TABLE"});
                List<String> names = new ArrayList<>();
                while (rs.next()) names.add(rs.getString("TABLE_NAME"));
                expect("tables", names, List.of("ad_daily", "campaigns", "customers", "influencer_posts", "influencers", "order_items", "orders", "products", "promotions", "truth_campaign_daily", "truth_influencer_daily", "truth_promotion_daily", "web_events"));
            });
            check("getColumns", () -> {
                ResultSet rs = md.getColumns(null, "gen", "products", "%");
                List<String> cols = new ArrayList<>();
                while (rs.next()) cols.add(rs.getString("COLUMN_NAME") + ":" + rs.getString("TYPE_NAME"));
                expect("columns", cols, List.of("product_id:int8", "sku:text", "name:text", "category:text", "subcategory:text", "price:numeric", "cost:numeric", "launch_date:date"));
            });
            check("getColumns gives money's precision and scale, as PostgreSQL 15 does", () -> {
                ResultSet rs = md.getColumns(null, "gen", "products", "price");
                rs.next();
                expect("price", rs.getInt("COLUMN_SIZE") + "," + rs.getInt("DECIMAL_DIGITS"), "12,2");
            });
            check("getBigDecimal reads money to the cent, and the server's sum exactly", () -> {
                try (Statement st = conn.createStatement()) {
                    java.math.BigDecimal total = java.math.BigDecimal.ZERO;
                    int rows = 0;
                    try (ResultSet rs = st.executeQuery("SELECT revenue FROM gen.orders WHERE order_date < DATE '2025-09-15'")) {
                        while (rs.next()) {
                            java.math.BigDecimal r = rs.getBigDecimal(1);
                            expect("scale", r.scale(), 2);
                            total = total.add(r);
                            rows++;
                        }
                    }
                    if (rows < 100) throw new AssertionError(rows + " orders");
                    try (ResultSet rs = st.executeQuery("SELECT sum(revenue) FROM gen.orders WHERE order_date < DATE '2025-09-15'")) {
                        rs.next();
                        expect("sum", rs.getBigDecimal(1), total);
                    }
                }
            });
            check("getPrimaryKeys", () -> {
                ResultSet rs = md.getPrimaryKeys(null, "gen", "products");
                while (rs.next()) { }
            });
            check("getIndexInfo over a lake table's indexes (answers from PostgreSQL 15)", () -> {
                try (Statement st = conn.createStatement()) {
                    st.execute("DROP TABLE IF EXISTS public.jdbc_idx");
                    st.execute("CREATE TABLE public.jdbc_idx (a BIGINT, b TEXT, c DATE)");
                    st.execute("CREATE INDEX jdbc_idx_bc ON public.jdbc_idx (b, c)");
                    st.execute("CREATE UNIQUE INDEX jdbc_idx_a ON public.jdbc_idx (a)");
                }
                for (boolean unique : new boolean[]{false, true}) {
                    ResultSet rs = md.getIndexInfo(null, "public", "jdbc_idx", unique, false);
                    List<String> got = new ArrayList<>();
                    while (rs.next()) {
                        got.add(rs.getString("INDEX_NAME") + ":" + rs.getShort("ORDINAL_POSITION") + ":"
                            + rs.getString("COLUMN_NAME") + ":" + rs.getBoolean("NON_UNIQUE") + ":"
                            + rs.getString("ASC_OR_DESC") + ":" + rs.getShort("TYPE"));
                    }
                    List<String> want = unique
                        ? List.of("jdbc_idx_a:1:a:false:A:3")
                        : List.of("jdbc_idx_a:1:a:false:A:3", "jdbc_idx_bc:1:b:true:A:3", "jdbc_idx_bc:2:c:true:A:3");
                    expect("index columns (unique only: " + unique + ")", got, want);
                }
            });
            check("getImportedKeys", () -> {
                ResultSet rs = md.getImportedKeys(null, "gen", "orders");
                while (rs.next()) { }
            });
            check("getTypeInfo", () -> {
                ResultSet rs = md.getTypeInfo();
                int n = 0;
                while (rs.next()) n++;
                if (n < 10) throw new AssertionError("only " + n + " types");
            });
            check("ResultSetMetaData type names and nullability", () -> {
                try (Statement st = conn.createStatement()) {
                    ResultSet rs = st.executeQuery("SELECT product_id, name, price, launch_date FROM gen.products LIMIT 1");
                    ResultSetMetaData m = rs.getMetaData();
                    expect("types", List.of(m.getColumnTypeName(1), m.getColumnTypeName(2), m.getColumnTypeName(3), m.getColumnTypeName(4)),
                        List.of("int8", "text", "numeric", "date"));
                    m.isNullable(1);
                }
            });
        }
        if (failures > 0) {
            System.out.println(failures + " jdbc checks failed");
            System.exit(1);
        }
        System.out.println("all jdbc checks passed");
    }
}
