package io.smalldragonfly.common.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.smalldragonfly.common.task.TaskId;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class NodeOrderTest {

    record Node(String key, int weight) {}

    private static List<String> order(String taskId, List<Node> nodes) {
        return NodeOrder.order(taskId, nodes, Node::key, Node::weight).stream().map(Node::key).toList();
    }

    private static final String T1 = "943602a4b973a0e5267d99fadda1423a61109a4f33dbc222086e8c96e20f7d64";
    private static final String T2 = "46f22c16897949ccb9e40318ae22ccf6d7f43426ce60c112776ca450c0e15bda";
    private static final List<Node> K8S = List.of(new Node("supernode-0.supernode:8002", 1),
            new Node("supernode-1.supernode:8002", 1), new Node("supernode-2.supernode:8002", 1));
    private static final List<Node> WEIGHTED = List.of(new Node("10.0.0.1:8002", 1), new Node("10.0.0.2:8002", 2),
            new Node("10.0.0.3:8002", 3));

    /** Golden vectors, computed by the independent Python of docs/cluster.md. */
    @Test
    void goldenVectors() {
        assertThat(NodeOrder.score(T1, "supernode-0.supernode:8002", 1)).isCloseTo(8.314709353087217, within(1e-12));
        assertThat(NodeOrder.score(T1, "supernode-1.supernode:8002", 1)).isCloseTo(1.6716097061627755, within(1e-12));
        assertThat(NodeOrder.score(T1, "supernode-2.supernode:8002", 1)).isCloseTo(4.57176432068937, within(1e-12));
        assertThat(NodeOrder.score(T1, "10.0.0.3:8002", 3)).isCloseTo(5.280308706826971, within(1e-12));
        assertThat(NodeOrder.score(T2, "10.0.0.2:8002", 2)).isCloseTo(78.61342398708675, within(1e-10));
        assertThat(order(T1, K8S)).containsExactly("supernode-0.supernode:8002", "supernode-2.supernode:8002",
                "supernode-1.supernode:8002");
        assertThat(order(T2, K8S)).containsExactly("supernode-2.supernode:8002", "supernode-0.supernode:8002",
                "supernode-1.supernode:8002");
        assertThat(order(T1, WEIGHTED)).containsExactly("10.0.0.3:8002", "10.0.0.1:8002", "10.0.0.2:8002");
        assertThat(order(T2, WEIGHTED)).containsExactly("10.0.0.2:8002", "10.0.0.3:8002", "10.0.0.1:8002");
    }

    @Test
    void theOrderDoesNotDependOnHowTheListIsWritten() {
        List<Node> reversed = new ArrayList<>(K8S);
        java.util.Collections.reverse(reversed);
        for (String t : taskIds(200)) {
            assertThat(order(t, reversed)).isEqualTo(order(t, K8S));
        }
    }

    @Test
    void aNodeListedTwiceCountsOnce() {
        List<Node> twice = new ArrayList<>(K8S);
        twice.add(K8S.get(1));
        assertThat(order(T1, twice)).isEqualTo(order(T1, K8S));
    }

    @Test
    void keyIsLowercaseHostAndPort() {
        assertThat(NodeOrder.key("SuperNode-0.Supernode", 8002)).isEqualTo("supernode-0.supernode:8002");
    }

    @Test
    void tasksSpreadEvenlyOverEqualNodes() {
        Map<String, Integer> first = firsts(taskIds(30_000), K8S);
        for (Node n : K8S) {
            assertThat(first.get(n.key())).as(n.key()).isBetween(9_700, 10_300); // within 3 % of even
        }
    }

    @Test
    void weightsSetTheShares() {
        Map<String, Integer> first = firsts(taskIds(30_000), WEIGHTED);
        assertThat(first.get("10.0.0.1:8002")).isBetween(4_850, 5_150);   // 1/6
        assertThat(first.get("10.0.0.2:8002")).isBetween(9_700, 10_300);  // 2/6
        assertThat(first.get("10.0.0.3:8002")).isBetween(14_550, 15_450); // 3/6
    }

    @Test
    void addingANodeMovesAboutOneNthOfTheTasksAllToIt() {
        List<String> ids = taskIds(20_000);
        List<Node> four = new ArrayList<>(K8S);
        four.add(new Node("supernode-3.supernode:8002", 1));
        int moved = 0;
        for (String t : ids) {
            String before = order(t, K8S).get(0);
            String after = order(t, four).get(0);
            if (!before.equals(after)) {
                moved++;
                assertThat(after).isEqualTo("supernode-3.supernode:8002");
            }
        }
        assertThat(moved / (double) ids.size()).isCloseTo(0.25, within(0.02));
    }

    @Test
    void removingANodeMovesOnlyItsTasksToTheirSecondChoice() {
        List<String> ids = taskIds(20_000);
        List<Node> two = K8S.subList(0, 2);
        int moved = 0;
        for (String t : ids) {
            List<String> before = order(t, K8S);
            String after = order(t, two).get(0);
            if (!before.get(0).equals(after)) {
                moved++;
                assertThat(before.get(0)).isEqualTo("supernode-2.supernode:8002");
                assertThat(after).isEqualTo(before.get(1)); // the failover the peers already used
            }
        }
        assertThat(moved / (double) ids.size()).isCloseTo(1 / 3.0, within(0.02));
    }

    private static Map<String, Integer> firsts(List<String> ids, List<Node> nodes) {
        Map<String, Integer> first = new HashMap<>();
        for (String t : ids) {
            first.merge(order(t, nodes).get(0), 1, Integer::sum);
        }
        return first;
    }

    private static List<String> taskIds(int n) {
        List<String> ids = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            ids.add(TaskId.compute("http://files.example.com/file-" + i, null, null).value());
        }
        return ids;
    }
}
