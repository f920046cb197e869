"""Drug-patient model: the knowledge-graph encoder of :mod:`gnn.model`, a patient aggregator, DistMult + PGx.

Shapes (``H`` = hidden, ``P`` = patients in the batch, ``D`` = drugs):

- ``h = encoder(x_dict, edge_dict)``: :class:`gnn.model.HeteroEncoder` over the knowledge graph only (patients
  are not nodes of it), ``{label: (N_label, H)}``. It is computed once per training step, and once when a
  trained model is loaded for scoring.
- Patient ``p`` (:class:`PatientAggregator`):
  ``z_p = LayerNorm(b + sum_r [N_r(p) nonempty] W_r mean_{u in N_r(p)} h[label_r][u] + W_t mean_{t in T(p)} e_t)``,
  then ``z_p <- LayerNorm(z_p + W_2 relu(W_1 z_p))``; ``r`` ranges over the patient relations of
  :data:`gnn.patient_data.RELATIONS` (phenotypes, symptoms, diagnoses, variant genes, pharmacogenes) and ``e_t``
  are learned embeddings of the PGx tokens (``CYP2C19=Poor Metabolizer``), shape ``(P, H)``.
- Decoder, in two steps over the ``C`` candidate diseases (those with a TREATS indication):
  ``pi(p, c) = softmax_c DistMult_dx(z_p, h[Disease][c])`` (which disease explains the patient; the diagnosis
  edge, when given, makes this easy) and ``t(c, d) = DistMult_treat(h[Disease][c], h[Drug][d])`` (the TREATS
  decoder), combined as ``score(p, d) = log sum_c pi(p, c) exp(t(c, d)) + w[pgx_class(p, d)]``, a logit of shape
  ``(P, D)``; ``w`` is one learned offset per PGx recommendation class (:data:`gnn.patient_data.PGX_CLASSES`,
  class 0 = none stays 0). ``pi`` doubles as a ranked differential diagnosis.
"""

from __future__ import annotations

from typing import Any

import torch
from pmkg.gnn.model import DistMult, HeteroEncoder
from pmkg.gnn.patient_data import PGX_CLASSES, RELATIONS
from torch import Tensor, nn

EdgeType = tuple[str, str, str]


class PatientAggregator(nn.Module):
    """Relation-wise mean of a patient's knowledge-graph neighbours, plus its PGx tokens (module docstring)."""

    def __init__(self, hidden: int, relations: dict[str, str], num_tokens: int) -> None:
        super().__init__()
        self.relations = dict(relations)
        self.lin = nn.ModuleDict({name: nn.Linear(hidden, hidden) for name in self.relations})
        self.token = nn.Embedding(max(num_tokens, 1), hidden)
        nn.init.normal_(self.token.weight, std=0.1)
        self.token_lin = nn.Linear(hidden, hidden)
        self.bias = nn.Parameter(torch.zeros(hidden))
        self.norm = nn.LayerNorm(hidden)
        self.mlp = nn.Sequential(nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, hidden))
        self.out_norm = nn.LayerNorm(hidden)

    def forward(self, h: dict[str, Tensor], num_patients: int, relations: dict[str, Tensor], tokens: Tensor) -> Tensor:
        """``relations[name]`` (2, E) of (patient row, node index), ``tokens`` (2, T) -> ``(P, H)``."""
        hidden = self.bias.numel()
        z = self.bias.expand(num_patients, hidden)
        for name, label in self.relations.items():
            pairs = relations.get(name)
            if pairs is None or pairs.numel() == 0 or label not in h:
                continue
            z = z + self._mean(self.lin[name], h[label][pairs[1]], pairs[0], num_patients)
        if tokens.numel():
            z = z + self._mean(self.token_lin, self.token(tokens[1]), tokens[0], num_patients)
        z = self.norm(z)
        return self.out_norm(z + self.mlp(z))

    @staticmethod
    def _mean(linear: nn.Linear, messages: Tensor, rows: Tensor, num_patients: int) -> Tensor:
        total = torch.zeros(num_patients, messages.size(1), dtype=messages.dtype).index_add_(0, rows, messages)
        count = torch.bincount(rows, minlength=num_patients).to(messages.dtype)
        mean = total / count.clamp(min=1).unsqueeze(1)
        # Rows without this relation get nothing, not the linear layer's bias.
        return linear(mean) * (count > 0).to(messages.dtype).unsqueeze(1)


class PatientDrugModel(nn.Module):
    """Knowledge-graph encoder + patient aggregator + a two-step decoder: which disease, then which drugs.

    ``candidates`` are the diseases with at least one TREATS indication in the graph (indices into Disease).
    """

    def __init__(
        self,
        num_nodes: dict[str, int],
        feature_dims: dict[str, int],
        edge_types: list[EdgeType],
        num_tokens: int,
        candidates: list[int],
        hidden: int = 64,
        num_layers: int = 2,
        dropout: float = 0.1,
        embeddings: str = "learned",
        relations: dict[str, str] | None = None,
        use_pgx: bool = True,
    ) -> None:
        super().__init__()
        relations = {k: v for k, v in (relations or RELATIONS).items() if v in num_nodes}
        self.hparams: dict[str, Any] = {
            "num_nodes": dict(num_nodes), "feature_dims": dict(feature_dims),
            "edge_types": [list(et) for et in edge_types], "num_tokens": num_tokens, "candidates": list(candidates),
            "hidden": hidden, "num_layers": num_layers, "dropout": dropout, "embeddings": embeddings,
            "relations": relations, "use_pgx": use_pgx,
        }  # fmt: skip
        self.encoder = HeteroEncoder(
            num_nodes, feature_dims, [tuple(et) for et in edge_types], hidden=hidden, num_layers=num_layers,
            dropout=dropout, conv="rel", embeddings=embeddings,
        )  # fmt: skip
        self.patient = PatientAggregator(hidden, relations, num_tokens)
        self.register_buffer("candidates", torch.as_tensor(candidates, dtype=torch.long))
        self.diagnose = DistMult(hidden)  # patient x candidate disease
        self.treat = DistMult(hidden)  # candidate disease x drug: the TREATS decoder of gnn.model
        self.use_pgx = use_pgx
        self.pgx = nn.Parameter(torch.zeros(len(PGX_CLASSES)))

    @classmethod
    def from_hparams(cls, hparams: dict[str, Any]) -> PatientDrugModel:
        hp = dict(hparams)
        hp["edge_types"] = [tuple(et) for et in hp["edge_types"]]
        return cls(**hp)

    def encode_graph(self, x_dict: dict[str, Tensor], edge_dict: dict[EdgeType, Any]) -> dict[str, Tensor]:
        return self.encoder(x_dict, edge_dict)

    def encode_patients(
        self, h: dict[str, Tensor], num_patients: int, relations: dict[str, Tensor], tokens: Tensor
    ) -> Tensor:
        return self.patient(h, num_patients, relations, tokens)

    def disease_logits(self, z: Tensor, h: dict[str, Tensor]) -> Tensor:
        """``(P, C)``: how well each candidate disease explains each patient."""
        return self.diagnose.all_pairs(z, h["Disease"][self.candidates])

    def treat_logits(self, h: dict[str, Tensor]) -> Tensor:
        """``(C, D)``: DistMult TREATS logits of every candidate disease and drug."""
        return self.treat.all_pairs(h["Disease"][self.candidates], h["Drug"])

    def score(self, z: Tensor, h: dict[str, Tensor], pgx: Tensor, log_pi: Tensor | None = None) -> Tensor:
        """Logits ``(P, D)``: :meth:`benefit_logits` + :meth:`pgx_offsets`."""
        logits = self.benefit_logits(z, h, log_pi)
        return logits + self.pgx_offsets(logits, pgx)

    def benefit_logits(self, z: Tensor, h: dict[str, Tensor], log_pi: Tensor | None = None) -> Tensor:
        """``log sum_c softmax(disease_logits)[p, c] * exp(treat_logits[c, d])``, shape ``(P, D)``.

        ``log_pi`` replaces the model's own differential (``(P, C)`` log-probabilities), e.g. one that keeps a
        recorded diagnosis first (:mod:`gnn.recorded_diagnosis`).
        """
        if log_pi is None:
            log_pi = torch.log_softmax(self.disease_logits(z, h), dim=1)  # (P, C)
        treat = self.treat_logits(h)  # (C, D)
        # logsumexp over c of (log_pi[p, c] + treat[c, d]) as a stabilised matrix product.
        a, b = log_pi.max(dim=1, keepdim=True).values, treat.max(dim=0, keepdim=True).values
        return torch.log((log_pi - a).exp() @ (treat - b).exp() + 1e-30) + a + b

    def pgx_offsets(self, logits: Tensor, pgx: Tensor) -> Tensor:
        """``(P, D)``: the learned offset of each (patient, drug) pair's PGx class; 0 without a recommendation."""
        offsets = torch.zeros_like(logits)
        if self.use_pgx and pgx.numel():
            weights = torch.cat([self.pgx.new_zeros(1), self.pgx[1:]])  # class 0 (none) stays at 0
            offsets = offsets.index_put((pgx[0], pgx[1]), weights[pgx[2]])
        return offsets
