// The one write retention makes: delete a collection's documents older than a cutoff. Kept with
// the other repositories so the retention scheduler holds no driver calls of its own.
import { Injectable } from '@nestjs/common';
import { MongoConnection } from '@tokenmeter/storage';

@Injectable()
export class RetentionRepository {
  constructor(private readonly mongo: MongoConnection) {}

  /** Deletes the documents of `collection` matching `where` whose `field` is before `cutoff`. */
  async deleteOlderThan(
    collection: string,
    field: string,
    where: Record<string, string>,
    cutoff: Date,
  ): Promise<number> {
    const result = await this.mongo.collection(collection).deleteMany({ ...where, [field]: { $lt: cutoff } });
    return result.deletedCount;
  }
}
