package dev.patchbay.core;

/**
 * Why a session ended. Set once, by the session's single closing path; both admin views
 * and the access log read it from here.
 */
public record Termination(Cause cause, String detail) {

    public enum Cause {
        CLIENT_CLOSE("client closed"),
        SERVER_CLOSE("server closed"),
        CLIENT_TIMEOUT("client timeout"),
        SERVER_TIMEOUT("server timeout"),
        CONNECT_FAILURE("connect failure"),
        QUEUE_TIMEOUT("queue timeout"),
        REFUSED("refused: max_connections"),
        NO_SERVER("no server available"),
        CLIENT_ERROR("client error"),
        AUTH_FAILURE("authentication failed"),
        SERVER_ERROR("server error"),
        SERVER_DOWN("server marked down"),
        KILLED("killed"),
        SHUTDOWN("shut down");

        private final String text;

        Cause(String text) {
            this.text = text;
        }

        public String text() {
            return text;
        }
    }

    public static Termination of(Cause cause) {
        return new Termination(cause, "");
    }

    public static Termination killedBy(AdminInterface via, String who) {
        return new Termination(Cause.KILLED, via.label() + (who.isEmpty() ? "" : " " + who));
    }

    /** Short text for logs: "killed (runtime API unix@/run/patchbay/admin.sock)". */
    public String describe() {
        return detail.isEmpty() ? cause.text : cause.text + " (" + detail + ")";
    }

    /** The admin interfaces that can kill a session; recorded in its termination. */
    public enum AdminInterface {
        RUNTIME_API("runtime API"),
        REST_API("REST API"),
        SQL_KILL("SQL KILL");

        private final String label;

        AdminInterface(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }
}
