import { ApiProperty } from '@nestjs/swagger';
import { IsString, Length } from 'class-validator';

export class ListWalletsQuery {
  @ApiProperty({ description: 'List the wallets of this owner', example: 'user_8412', minLength: 1, maxLength: 128 })
  @IsString()
  @Length(1, 128)
  ownerId: string;
}
