import java.math.BigDecimal;
import java.sql.*;
import java.time.*;
import java.util.*;

/**
 * pgjdbc's parameters for each core type in each position (select list, comparison, function
 * argument, INSERT values), unprepared (text) and server-prepared from the first run
 * (prepareThreshold=-1: binary where pgjdbc binds binary), through setObject with java.time
 * types and setBigDecimal. Prints one line per case; the expected lines
 * (JdbcParamMatrix.expected) are PostgreSQL 15's output.
 *
 * Usage: java JdbcParamMatrix HOST PORT [USER [DBNAME]] (both default to aloe).
 */
public class JdbcParamMatrix {
    interface Binder { void bind(PreparedStatement ps, int i) throws SQLException; }

    record Case(String column, String type, String stored, Binder binder) {}

    public static void main(String[] args) throws Exception {
        String user = args.length > 2 ? args[2] : "aloe";
        String db = args.length > 3 ? args[3] : "aloe";
        List<Case> cases = List.of(
            new Case("i4", "int4", "7", (ps, i) -> ps.setInt(i, 7)),
            new Case("i8", "int8", "3000000000", (ps, i) -> ps.setLong(i, 3000000000L)),
            new Case("f8", "float8", "1.5", (ps, i) -> ps.setDouble(i, 1.5)),
            new Case("n", "numeric(10,2)", "12.50", (ps, i) -> ps.setBigDecimal(i, new BigDecimal("12.50"))),
            new Case("t", "text", "'aloe'", (ps, i) -> ps.setString(i, "aloe")),
            new Case("b", "bool", "true", (ps, i) -> ps.setBoolean(i, true)),
            new Case("d", "date", "'2025-10-01'", (ps, i) -> ps.setObject(i, LocalDate.of(2025, 10, 1))),
            new Case("ts", "timestamp", "'2025-10-01 12:30'", (ps, i) -> ps.setObject(i, LocalDateTime.of(2025, 10, 1, 12, 30))),
            new Case("tz", "timestamptz", "'2025-10-01 12:30+00'", (ps, i) -> ps.setObject(i, OffsetDateTime.of(2025, 10, 1, 12, 30, 0, 0, ZoneOffset.UTC))),
            new Case("by", "bytea", "'\\x00ff'::bytea", (ps, i) -> ps.setBytes(i, new byte[] {0, (byte) 0xff})));
        StringBuilder columns = new StringBuilder();
        StringBuilder stored = new StringBuilder();
        for (Case c : cases) {
            if (columns.length() > 0) { columns.append(", "); stored.append(", "); }
            columns.append(c.column()).append(' ').append(c.type());
            stored.append(c.stored()).append("::").append(c.type());
        }
        for (String mode : List.of("text", "prepared")) {
            String threshold = mode.equals("text") ? "0" : "-1";
            String url = "jdbc:postgresql://" + args[0] + ":" + args[1] + "/" + db + "?prepareThreshold=" + threshold;
            try (Connection conn = DriverManager.getConnection(url, user, "")) {
                try (Statement st = conn.createStatement()) {
                    st.execute("SET TimeZone = 'UTC'");
                    st.execute("DROP TABLE IF EXISTS public.jm");
                    st.execute("CREATE TABLE public.jm (" + columns + ")");
                    st.execute("INSERT INTO public.jm VALUES (" + stored + ")");
                }
                for (Case c : cases) {
                    String col = c.column();
                    run(conn, col + " select " + mode, "SELECT ?", c.binder());
                    run(conn, col + " compare " + mode, "SELECT count(*) FROM public.jm WHERE " + col + " = ?", c.binder());
                    run(conn, col + " function " + mode, "SELECT coalesce(?, " + col + ") FROM public.jm", c.binder());
                    try (Statement st = conn.createStatement()) {
                        st.execute("CREATE TABLE public.jm_in (" + columns + ")");
                    }
                    run(conn, col + " insert " + mode, "INSERT INTO public.jm_in (" + col + ") VALUES (?)", c.binder());
                    run(conn, col + " inserted " + mode, "SELECT " + col + " FROM public.jm_in", null);
                    try (Statement st = conn.createStatement()) {
                        st.execute("DROP TABLE public.jm_in");
                    }
                }
                try (Statement st = conn.createStatement()) {
                    st.execute("DROP TABLE public.jm");
                }
            }
        }
    }

    static void run(Connection conn, String label, String sql, Binder binder) {
        // Twice, so a server-prepared statement is also run from its kept plan.
        String answer = null;
        for (int round = 0; round < (sql.startsWith("INSERT") ? 1 : 2); round++) {
            try (PreparedStatement ps = conn.prepareStatement(sql)) {
                if (binder != null) binder.bind(ps, 1);
                if (ps.execute()) {
                    ResultSet rs = ps.getResultSet();
                    List<String> rows = new ArrayList<>();
                    while (rs.next()) rows.add(show(rs.getObject(1)) + " " + rs.getMetaData().getColumnTypeName(1));
                    answer = rows.toString();
                } else {
                    answer = "updated " + ps.getUpdateCount();
                }
            } catch (SQLException e) {
                answer = "error " + e.getSQLState();
            }
        }
        System.out.println(label + ": " + answer);
    }

    static String show(Object value) {
        if (value instanceof byte[] bytes) return "bytes" + Arrays.toString(bytes);
        return value == null ? "null" : value.getClass().getSimpleName() + " " + value;
    }
}
