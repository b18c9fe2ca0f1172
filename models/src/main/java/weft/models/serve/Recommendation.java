package weft.models.serve;

/** One recommended item: its raw id, its dense index in the model's tables, and its score. */
public record Recommendation(String itemId, int index, float score) {}
