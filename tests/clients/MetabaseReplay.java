// A replay, through pgjdbc, of what Metabase's PostgreSQL driver sends to add and sync a
// database: test connection, pool checkout, sync (schemas, privileges, tables, fields,
// foreign keys), fingerprinting and field values, then a question in Metabase's SQL shape.
// Usage: java -cp postgresql.jar:. MetabaseReplay HOST PORT [USER PASSWORD]. Exits non-zero on
// a failure.
import java.sql.*;
import java.util.*;

public class MetabaseReplay {
    static void expect(String what, Object got, Object want) {
        if (!Objects.equals(got, want)) {
            System.out.println("FAIL " + what + ": got " + got + ", want " + want);
            System.exit(1);
        }
        System.out.println("ok " + what);
    }

    static final String PRIVILEGES =
        "with table_privileges as (\n select\n   NULL as role,\n   t.schemaname as schema,\n   t.objectname as table,\n"
        + "   pg_catalog.has_any_column_privilege(current_user, '\"' || replace(t.schemaname, '\"', '\"\"') || '\"' || '.' || '\"' || replace(t.objectname, '\"', '\"\"') || '\"',  'update') as update,\n"
        + "   pg_catalog.has_any_column_privilege(current_user, '\"' || replace(t.schemaname, '\"', '\"\"') || '\"' || '.' || '\"' || replace(t.objectname, '\"', '\"\"') || '\"',  'select') as select,\n"
        + "   pg_catalog.has_any_column_privilege(current_user, '\"' || replace(t.schemaname, '\"', '\"\"') || '\"' || '.' || '\"' || replace(t.objectname, '\"', '\"\"') || '\"',  'insert') as insert,\n"
        + "   pg_catalog.has_table_privilege(     current_user, '\"' || replace(t.schemaname, '\"', '\"\"') || '\"' || '.' || '\"' || replace(t.objectname, '\"', '\"\"') || '\"',  'delete') as delete\n"
        + " from (\n   select schemaname, tablename as objectname from pg_catalog.pg_tables\n   union\n"
        + "   select schemaname, viewname as objectname from pg_catalog.pg_views\n   union\n"
        + "   select schemaname, matviewname as objectname from pg_catalog.pg_matviews\n ) t\n"
        + " where t.schemaname !~ '^pg_'\n   and t.schemaname <> 'information_schema'\n"
        + "   and pg_catalog.has_schema_privilege(current_user, t.schemaname, 'usage')\n)\nselect t.*\nfrom table_privileges t";

    static final String TABLES =
        "SELECT \"n\".\"nspname\" AS \"schema\", \"c\".\"relname\" AS \"name\", CASE \"c\".\"relkind\" WHEN 'r' THEN 'TABLE' WHEN 'p' THEN 'PARTITIONED TABLE' WHEN 'v' THEN 'VIEW' WHEN 'f' THEN 'FOREIGN TABLE' WHEN 'm' THEN 'MATERIALIZED VIEW' ELSE NULL END AS \"type\", \"d\".\"description\" AS \"description\", \"stat\".\"n_live_tup\" AS \"estimated_row_count\" "
        + "FROM \"pg_catalog\".\"pg_class\" AS \"c\" INNER JOIN \"pg_catalog\".\"pg_namespace\" AS \"n\" ON \"c\".\"relnamespace\" = \"n\".\"oid\" "
        + "LEFT JOIN \"pg_catalog\".\"pg_description\" AS \"d\" ON (\"c\".\"oid\" = \"d\".\"objoid\") AND (\"d\".\"objsubid\" = 0) AND (\"d\".\"classoid\" = 'pg_class'::regclass) "
        + "LEFT JOIN \"pg_stat_user_tables\" AS \"stat\" ON (\"n\".\"nspname\" = \"stat\".\"schemaname\") AND (\"c\".\"relname\" = \"stat\".\"relname\") "
        + "WHERE (\"c\".\"relnamespace\" = \"n\".\"oid\") AND (\"n\".\"nspname\" !~ ?) AND (\"n\".\"nspname\" <> ?) AND (\"n\".\"nspname\" IN (?, ?)) AND (\"c\".\"relkind\" IN ('r', 'p', 'v', 'f', 'm')) "
        + "ORDER BY \"type\" ASC, \"schema\" ASC, \"name\" ASC";

    static final String FIELDS =
        "SELECT \"c\".\"column_name\" AS \"name\", CASE WHEN \"c\".\"udt_schema\" IN ('public', 'pg_catalog') THEN FORMAT('%s', \"c\".\"udt_name\") ELSE FORMAT('\"%s\".\"%s\"', \"c\".\"udt_schema\", \"c\".\"udt_name\") END AS \"database-type\", "
        + "\"c\".\"ordinal_position\" - 1 AS \"database-position\", \"c\".\"table_schema\" AS \"table-schema\", \"c\".\"table_name\" AS \"table-name\", \"pk\".\"column_name\" IS NOT NULL AS \"pk?\", "
        + "COL_DESCRIPTION(CAST(CAST(FORMAT('%I.%I', CAST(\"c\".\"table_schema\" AS TEXT), CAST(\"c\".\"table_name\" AS TEXT)) AS REGCLASS) AS OID), \"c\".\"ordinal_position\") AS \"field-comment\", "
        + "((\"column_default\" IS NULL) OR (LOWER(\"column_default\") = 'null')) AND (\"is_nullable\" = 'NO') AND NOT (((\"column_default\" IS NOT NULL) AND (\"column_default\" LIKE '%(%)')) OR (\"is_identity\" <> 'NO')) AS \"database-required\", "
        + "((\"column_default\" IS NOT NULL) AND (\"column_default\" LIKE '%(%)')) OR (\"is_identity\" <> 'NO') AS \"database-is-auto-increment\" "
        + "FROM \"information_schema\".\"columns\" AS \"c\" LEFT JOIN (SELECT \"tc\".\"table_schema\", \"tc\".\"table_name\", \"kc\".\"column_name\" FROM \"information_schema\".\"table_constraints\" AS \"tc\" "
        + "INNER JOIN \"information_schema\".\"key_column_usage\" AS \"kc\" ON (\"tc\".\"constraint_name\" = \"kc\".\"constraint_name\") AND (\"tc\".\"table_schema\" = \"kc\".\"table_schema\") AND (\"tc\".\"table_name\" = \"kc\".\"table_name\") "
        + "WHERE \"tc\".\"constraint_type\" = 'PRIMARY KEY') AS \"pk\" ON (\"c\".\"table_schema\" = \"pk\".\"table_schema\") AND (\"c\".\"table_name\" = \"pk\".\"table_name\") AND (\"c\".\"column_name\" = \"pk\".\"column_name\") "
        + "WHERE c.table_schema !~ '^information_schema|catalog_history|pg_' AND (\"c\".\"table_schema\" IN (?)) "
        + "ORDER BY \"table-schema\" ASC, \"table-name\" ASC, \"database-position\" ASC";

    static final String FOREIGN_KEYS =
        "SELECT fk_ns.nspname AS \"fk-table-schema\", fk_table.relname AS \"fk-table-name\", fk_column.attname AS \"fk-column-name\", pk_ns.nspname AS \"pk-table-schema\", pk_table.relname AS \"pk-table-name\", pk_column.attname AS \"pk-column-name\" "
        + "FROM pg_constraint c JOIN pg_class fk_table ON c.conrelid = fk_table.oid JOIN pg_namespace fk_ns ON c.connamespace = fk_ns.oid JOIN pg_attribute fk_column ON c.conrelid = fk_column.attrelid "
        + "JOIN pg_class pk_table ON c.confrelid = pk_table.oid JOIN pg_namespace pk_ns ON pk_table.relnamespace = pk_ns.oid JOIN pg_attribute pk_column ON c.confrelid = pk_column.attrelid "
        + "WHERE fk_ns.nspname !~ '^information_schema|catalog_history|pg_' AND c.contype = 'f'::char AND fk_column.attnum = ANY(c.conkey) AND pk_column.attnum = ANY(c.confkey) AND fk_ns.nspname IN (?) "
        + "ORDER BY \"fk-table-schema\", \"fk-table-name\"";

    public static void main(String[] args) throws Exception {
        String url = "jdbc:postgresql://" + args[0] + ":" + args[1] + "/aloe?ApplicationName=Metabase";
        Properties props = new Properties();
        props.setProperty("user", args.length > 3 ? args[2] : "aloe");
        if (args.length > 3) props.setProperty("password", args[3]);
        try (Connection conn = DriverManager.getConnection(url, props)) {
            // Test connection.
            try (PreparedStatement ps = conn.prepareStatement("SELECT 1")) {
                ResultSet rs = ps.executeQuery();
                rs.next();
                expect("test connection", rs.getInt(1), 1);
            }
            // Pool checkout.
            expect("isValid", conn.isValid(5), true);
            try (Statement st = conn.createStatement()) {
                st.execute("SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL READ UNCOMMITTED");
                st.execute("SET SESSION TIMEZONE TO 'UTC'");
                ResultSet rs = st.executeQuery("SHOW TRANSACTION ISOLATION LEVEL");
                rs.next();
                rs = st.executeQuery("show timezone;");
                rs.next();
                expect("show timezone", rs.getString(1), "UTC");
            }
            // Sync.
            List<String> schemas = new ArrayList<>();
            ResultSet rs = conn.getMetaData().getSchemas();
            while (rs.next()) schemas.add(rs.getString("TABLE_SCHEM"));
            expect("schemas include gen", schemas.contains("gen"), true);

            Map<String, Boolean> selectable = new TreeMap<>();
            try (Statement st = conn.createStatement()) {
                rs = st.executeQuery(PRIVILEGES);
                while (rs.next()) selectable.put(rs.getString("schema") + "." + rs.getString("table"), rs.getBoolean("select"));
            }
            expect("every gen table is selectable",
                selectable.entrySet().stream().filter(e -> e.getKey().startsWith("gen.")).allMatch(Map.Entry::getValue)
                    && selectable.keySet().containsAll(List.of("gen.customers", "gen.orders", "gen.products")), true);

            List<String> tables = new ArrayList<>();
            try (PreparedStatement ps = conn.prepareStatement(TABLES)) {
                ps.setString(1, "^pg_");
                ps.setString(2, "information_schema");
                ps.setString(3, "gen");
                ps.setString(4, "public");
                rs = ps.executeQuery();
                while (rs.next()) tables.add(rs.getString("type") + " " + rs.getString("schema") + "." + rs.getString("name"));
            }
            List<String> genTables = new ArrayList<>();
            for (String t : List.of("ad_daily", "campaigns", "customers", "influencer_posts", "influencers", "order_items", "orders", "products", "promotions", "truth_campaign_daily", "truth_influencer_daily", "truth_promotion_daily", "web_events")) genTables.add("TABLE gen." + t);
            expect("tables", tables, genTables);

            Map<String, String> types = new LinkedHashMap<>();
            try (PreparedStatement ps = conn.prepareStatement(FIELDS)) {
                ps.setString(1, "gen");
                rs = ps.executeQuery();
                while (rs.next()) types.put(rs.getString("table-name") + "." + rs.getString("name"), rs.getString("database-type"));
            }
            expect("product fields and types",
                List.of(types.get("products.product_id"), types.get("products.name"), types.get("products.price"), types.get("products.launch_date")),
                List.of("int8", "text", "numeric", "date"));
            try (Statement st = conn.createStatement()) {
                rs = st.executeQuery("SELECT count(*) FROM information_schema.columns WHERE table_schema = 'gen'");
                rs.next();
                expect("all fields, as information_schema counts them", types.size(), rs.getInt(1));
            }
            expect("order fields", types.get("orders.order_time"), "timestamptz");

            try (PreparedStatement ps = conn.prepareStatement(FOREIGN_KEYS)) {
                ps.setString(1, "gen");
                rs = ps.executeQuery();
                int n = 0;
                while (rs.next()) n++;
                expect("foreign keys (Aloe declares none)", n, 0);
            }
            for (String t : List.of("ad_daily", "campaigns", "customers", "influencer_posts", "influencers", "order_items", "orders", "products", "promotions", "truth_campaign_daily", "truth_influencer_daily", "truth_promotion_daily", "web_events")) {
                rs = conn.getMetaData().getColumns(null, "gen", t, "%");
                int n = 0;
                while (rs.next()) n++;
                if (n == 0) expect("getColumns " + t, n, "> 0");
                rs = conn.getMetaData().getPrimaryKeys(null, "gen", t);
                while (rs.next()) { }
            }
            System.out.println("ok per-table getColumns and getPrimaryKeys");

            // Fingerprinting and field values.
            try (Statement st = conn.createStatement()) {
                st.setMaxRows(10000);
                rs = st.executeQuery("SELECT \"gen\".\"products\".\"product_id\" AS \"product_id\", SUBSTRING(\"gen\".\"products\".\"name\" FROM 1 FOR 1234) AS \"name\" FROM \"gen\".\"products\" LIMIT 10000");
                int n = 0;
                while (rs.next()) n++;
                expect("fingerprint scan rows", n, 120);
                rs = st.executeQuery("SELECT \"gen\".\"orders\".\"payment_method\" AS \"payment_method\" FROM \"gen\".\"orders\" GROUP BY \"gen\".\"orders\".\"payment_method\" ORDER BY \"gen\".\"orders\".\"payment_method\" ASC LIMIT 1000");
                List<String> values = new ArrayList<>();
                while (rs.next()) values.add(rs.getString(1));
                if (values.isEmpty() || !values.contains("klarna")) expect("field values", values, "payment methods including klarna");
                rs = st.executeQuery("SELECT count(DISTINCT payment_method) FROM gen.orders");
                rs.next();
                expect("field values", values.size(), rs.getInt(1));
            }
            // A question, as Metabase writes one.
            try (PreparedStatement ps = conn.prepareStatement(
                    "-- Metabase:: userID: 1 queryType: MBQL queryHash: 0f\n"
                    + "SELECT DATE_TRUNC('month', CAST(\"gen\".\"orders\".\"order_date\" AS timestamp)) AS \"order_date\", "
                    + "COUNT(DISTINCT \"gen\".\"orders\".\"customer_id\") AS \"count\", CAST(SUM(\"gen\".\"orders\".\"revenue\") AS DOUBLE PRECISION) / NULLIF(COUNT(*), 0.0) AS \"avg\" "
                    + "FROM \"gen\".\"orders\" WHERE \"gen\".\"orders\".\"payment_method\" = ? "
                    + "GROUP BY DATE_TRUNC('month', CAST(\"gen\".\"orders\".\"order_date\" AS timestamp)) "
                    + "ORDER BY DATE_TRUNC('month', CAST(\"gen\".\"orders\".\"order_date\" AS timestamp)) ASC LIMIT 2000")) {
                ps.setMaxRows(2000);
                ps.setString(1, "klarna");
                rs = ps.executeQuery();
                int n = 0;
                while (rs.next()) n++;
                expect("question rows (one per month, September to December)", n, 4);
            }
        }
        System.out.println("all metabase checks passed");
    }
}
