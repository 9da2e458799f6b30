/** Who is making a request, after bearer verification. */
export type Caller =
  | {
      readonly kind: 'user';
      readonly subject: string;
      readonly username: string | undefined;
      readonly isAdmin: boolean;
    }
  | { readonly kind: 'anonymous' };
