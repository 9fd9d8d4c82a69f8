"""ImageLocality: kube-scheduler's plugins/imagelocality.

Prefer nodes that already have the pod's images (node.status.images), so the
pod starts without a pull. Each image counts its size scaled by how widely it
is spread over the cluster (an image on every node gives no advantage worth
chasing), and the sum maps linearly to 0..100 between 23 MB and 1000 MB per
container (kube-scheduler's thresholds).
"""
from __future__ import annotations

from collections.abc import Sequence

from scheduler.framework import MAX_NODE_SCORE, SKIP, CycleState, ScorePlugin, Snapshot, Status
from scheduler.nodeinfo import NodeInfo, normalized_image_name
from scheduler.podinfo import PodInfo

MB = 1024 * 1024
MIN_THRESHOLD = 23 * MB
MAX_CONTAINER_THRESHOLD = 1000 * MB


def image_score(sum_scores: float, containers: int) -> int:
    high = MAX_CONTAINER_THRESHOLD * max(containers, 1)
    clamped = min(max(sum_scores, MIN_THRESHOLD), high)
    return int(MAX_NODE_SCORE * (clamped - MIN_THRESHOLD) / (high - MIN_THRESHOLD))


class ImageLocality(ScorePlugin):
    name = "ImageLocality"

    def pre_score(self, state: CycleState, pod: PodInfo, nodes: Sequence[NodeInfo],
                  snapshot: Snapshot) -> Status | None:
        images = [normalized_image_name(image) for image in pod.images]
        spread = {image: snapshot.image_node_counts.get(image, 0) / max(len(snapshot.nodes), 1)
                  for image in images}
        if not any(spread.values()):
            return SKIP          # no node has any of them: every node would score 0
        state[self.name] = spread
        return None

    def score(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> int:
        spread = state[self.name]
        total = sum(node.images.get(image, 0) * fraction for image, fraction in spread.items())
        return image_score(total, len(pod.images))
