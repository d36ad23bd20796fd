package dev.patchbay.mariadb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.patchbay.config.ConfigException;
import dev.patchbay.config.ConfigLoader;
import dev.patchbay.config.PatchbayConfig;
import dev.patchbay.core.Server;
import dev.patchbay.core.ServiceSettings;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The MariaDB-mode configuration keys and their errors (file, line, section, key). */
class MariaDbConfigTest {
    private static final String SERVER = "[db1]\ntype=server\naddress=127.0.0.1\nport=3306\nrole=slave\nssl=true\n\n";

    @Test
    void mariadbKeysAreRead() throws Exception {
        PatchbayConfig c = ConfigLoader.parse("t.cnf", SERVER
                + "[svc]\ntype=service\nservers=db1\nrouter=readconnroute\nrouter_options=slave\nuser=pb\npassword=pw\n"
                + "version_string=10.11.9-MariaDB\nretain_last_statements=7\nusers_refresh_time=5s\nusers_refresh_interval=1m\n"
                + "max_sescmd_history=9\n\n"
                + "[l]\ntype=listener\nservice=svc\nprotocol=mariadb\nport=4006\n");
        PatchbayConfig.ServiceConfig s = c.services().get(0);
        assertThat(s.settings().router()).isEqualTo(ServiceSettings.RouterKind.READCONNROUTE);
        assertThat(s.settings().routerOptions()).isEqualTo(ServiceSettings.RouterOptions.SLAVE);
        assertThat(s.mariadb().user()).isEqualTo("pb");
        assertThat(s.mariadb().versionString()).isEqualTo("10.11.9-MariaDB");
        assertThat(s.mariadb().retainLastStatements()).isEqualTo(7);
        assertThat(s.mariadb().usersRefreshTimeNanos()).isEqualTo(TimeUnit.SECONDS.toNanos(5));
        assertThat(s.mariadb().usersRefreshIntervalNanos()).isEqualTo(TimeUnit.MINUTES.toNanos(1));
        assertThat(s.mariadb().maxSescmdHistory()).isEqualTo(9);
        assertThat(s.mariadb().toString()).doesNotContain("pw");
        assertThat(c.servers().get(0).role()).isEqualTo(Server.Role.SLAVE);
        assertThat(c.servers().get(0).tls().enabled()).isTrue();
        assertThat(c.listeners().get(0).protocol()).isEqualTo("mariadb");
    }

    @Test
    void errorsNameFileLineSectionAndKey() {
        assertThatThrownBy(() -> ConfigLoader.parse("t.cnf", SERVER
                + "[svc]\ntype=service\nservers=db1\nrouter_options=master\n\n"
                + "[l]\ntype=listener\nservice=svc\nprotocol=mariadb\nport=4006\nssl=true\n\n"
                + "[t]\ntype=listener\nservice=svc\nport=4007\nssl_cert=/x\n"))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.getMessage())
                        .contains("t.cnf:11: [svc] router_options: only applies to router=readconnroute")
                        .contains("[l] ssl_cert: is required when ssl=true")
                        .contains("[l] ssl_key: is required when ssl=true")
                        .contains("t.cnf:24: [t] ssl_cert: only applies to protocol=mariadb")
                        .contains("[l] protocol: protocol=mariadb needs service [svc] to have user and password"));
        assertThatThrownBy(() -> ConfigLoader.parse("t.cnf", SERVER.replace("role=slave", "role=primary")
                + "[svc]\ntype=service\nservers=db1\nusers_file=/u.json\n\n[l]\ntype=listener\nservice=svc\nprotocol=mysql\nport=1\n"))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.getMessage())
                        .contains("t.cnf:5: [db1] role: 'primary' is not one of master, slave, none")
                        .contains("[l] protocol: 'mysql' is not one of tcp, mariadb"));
    }
}
