// Logs in through pgjdbc and says who it is, or the SQLSTATE of the refusal.
// Usage: java -cp postgresql.jar:. JdbcLogin HOST PORT USER PASSWORD SSLMODE
import java.sql.*;
import java.util.Properties;

public class JdbcLogin {
    public static void main(String[] args) throws Exception {
        String url = "jdbc:postgresql://" + args[0] + ":" + args[1] + "/aloe";
        Properties props = new Properties();
        props.setProperty("user", args[2]);
        props.setProperty("password", args[3]);
        props.setProperty("sslmode", args[4]);
        try (Connection conn = DriverManager.getConnection(url, props);
             Statement st = conn.createStatement();
             ResultSet rs = st.executeQuery("SELECT current_user, 40 + 2")) {
            rs.next();
            System.out.println("user=" + rs.getString(1) + " answer=" + rs.getInt(2));
        } catch (SQLException e) {
            System.out.println("sqlstate=" + e.getSQLState() + " message=" + e.getMessage());
        }
    }
}
