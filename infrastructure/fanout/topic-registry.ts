/**
 * Topic membership for transports without native topics (the `ws` baseline, SSE responses):
 * who is subscribed to what, and the members of a topic to write a published message to.
 */
export class TopicRegistry<Member> {
  private readonly topics = new Map<string, Set<Member>>();

  join(topic: string, member: Member): void {
    const members = this.topics.get(topic) ?? new Set<Member>();
    members.add(member);
    this.topics.set(topic, members);
  }

  leave(topic: string, member: Member): void {
    const members = this.topics.get(topic);
    members?.delete(member);
    if (members?.size === 0) this.topics.delete(topic);
  }

  members(topic: string): Iterable<Member> {
    return this.topics.get(topic) ?? [];
  }
}
