// Connects through pgjdbc with startup properties and prints what the session then says.
// Usage: java -cp postgresql.jar:. JdbcStartup HOST PORT NAME=VALUE...
// Prints `search_path=... schema=... statement_timeout=...`, or the SQLSTATE of the refusal.
import java.sql.*;
import java.util.Properties;

public class JdbcStartup {
    public static void main(String[] args) throws Exception {
        String url = "jdbc:postgresql://" + args[0] + ":" + args[1] + "/aloe";
        Properties props = new Properties();
        props.setProperty("user", "aloe");
        for (int i = 2; i < args.length; i++) {
            String[] kv = args[i].split("=", 2);
            props.setProperty(kv[0], kv[1]);
        }
        try (Connection conn = DriverManager.getConnection(url, props);
             Statement st = conn.createStatement()) {
            StringBuilder out = new StringBuilder();
            for (String name : new String[] {"search_path", "statement_timeout"}) {
                try (ResultSet rs = st.executeQuery("SHOW " + name)) {
                    rs.next();
                    out.append(name).append('=').append(rs.getString(1)).append(' ');
                }
            }
            try (ResultSet rs = st.executeQuery("SELECT current_schema()")) {
                rs.next();
                out.append("schema=").append(rs.getString(1));
            }
            out.append(" jdbc_schema=").append(conn.getSchema());
            System.out.println(out);
        } catch (SQLException e) {
            System.out.println("sqlstate=" + e.getSQLState() + " message=" + e.getMessage());
        }
    }
}
